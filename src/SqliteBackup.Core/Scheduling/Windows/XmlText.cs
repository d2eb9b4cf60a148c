using System.Text;
using System.Xml;

namespace SqliteBackup.Core.Scheduling;

/// <summary>XmlWriter settings and checks shared by the plist and Task Scheduler renderers.</summary>
internal static class XmlText
{
    /// <summary>Entitize keeps a carriage return in a value as &amp;#xD; (a parser would turn a raw one into a line
    /// feed); line feeds and tabs in text survive parsing as they are.</summary>
    public static XmlWriterSettings Settings(string indent) => new()
    {
        Indent = true,
        IndentChars = indent,
        NewLineChars = "\n",
        NewLineHandling = NewLineHandling.Entitize,
        OmitXmlDeclaration = false,
    };

    /// <exception cref="ArgumentException">The value has a character XML 1.0 cannot hold, even escaped.</exception>
    public static string Checked(string value, string label, string format)
    {
        int bad = CommandText.IndexOfXmlInvalid(value);
        if (bad >= 0)
            throw new ArgumentException($"In the scheduled command, {label} contains {CommandText.Describe(value[bad])}, which a {format} file cannot hold (XML 1.0 allows no control characters other than tab, line feed and carriage return).", "definition");
        return value;
    }

    /// <summary>A StringWriter whose XML declaration names the encoding the caller will write the file in.</summary>
    public sealed class Writer(Encoding encoding) : StringWriter(System.Globalization.CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding { get; } = encoding;
    }
}
