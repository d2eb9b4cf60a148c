using System.Diagnostics;
using System.Text;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Tests.Scheduling;

public sealed class CronTabTests
{
    static ScheduleDefinition Def(string name, ScheduleSpec? spec = null, ScheduledCommand? command = null) =>
        new(name, spec ?? Examples.Daily, command ?? Examples.Posix);

    [Theory]
    [InlineData("cron-daily.txt", "nightly", ScheduleKind.Daily)]
    [InlineData("cron-weekly.txt", "weekly", ScheduleKind.Weekly)]
    [InlineData("cron-hourly.txt", "hourly", ScheduleKind.Hourly)]
    [InlineData("cron-custom.txt", "office-hours", ScheduleKind.Cron)]
    public void Lines_match_golden_files(string file, string name, ScheduleKind kind)
    {
        var spec = kind switch
        {
            ScheduleKind.Daily => Examples.Daily,
            ScheduleKind.Weekly => Examples.Weekly,
            ScheduleKind.Hourly => Examples.Hourly,
            _ => Examples.Custom,
        };
        Golden.Match(file, CronTab.RenderLine(Def(name, spec)) + "\n");
    }

    /// <summary>
    /// cron's pass over the command before it goes to sh, as do_command.c does it: a backslash marks the next
    /// character; if that is '%' the backslash is dropped (and, in Debian's cron, also if it is another backslash),
    /// otherwise both stay; an unmarked '%' ends the command and the rest becomes standard input (with further '%' as
    /// newlines). Cronie and ISC cron 4 keep '\\'; Debian's 3.0pl1, from Vixie cron 3.0, collapses it, which the real-cron
    /// test below found.
    /// </summary>
    static (string Command, string? Stdin) CronPercent(string text, bool debian)
    {
        var sb = new StringBuilder();
        bool escaped = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (escaped)
            {
                if (c == '%' || (debian && c == '\\')) sb.Length--;
                sb.Append(c);
                escaped = false;
                continue;
            }
            if (c == '%') return (sb.ToString(), text[(i + 1)..].Replace('%', '\n'));
            if (c == '\\') escaped = true;
            sb.Append(c);
        }
        return (sb.ToString(), null);
    }

    /// <summary>The command part of one of our lines: everything after the five schedule fields.</summary>
    static string CommandPart(string line)
    {
        int i = 0;
        for (int field = 0; field < 5; field++)
        {
            i = line.IndexOf(' ', i);
            Assert.True(i > 0);
            i++;
        }
        return line[i..];
    }

    [SkippableFact]
    public void Hostile_arguments_reach_the_program_exactly_through_cron_and_sh()
    {
        Skip.IfNot(File.Exists("/bin/sh") && File.Exists("/usr/bin/printf"), "needs /bin/sh and /usr/bin/printf");
        using var dir = new TempDir();
        string marker = dir["pwned"];
        // printf repeats its format for every argument: each one comes back followed by a NUL. The format itself has
        // a '%' and a backslash, so it is a hostile argument too.
        string[] args = ["%s\\0", .. Examples.Hostile(marker)];
        string line = CronTab.RenderLine(Def("hostile", command: new ScheduledCommand("/usr/bin/printf", args)));

        foreach (bool debian in new[] { true, false })
        {
            var (command, stdin) = CronPercent(CommandPart(line), debian);
            Assert.Null(stdin);
            var (code, output, error) = Cli.Run("/bin/sh", "-c", command);

            Assert.True(code == 0, error);
            Assert.Equal(args[1..], output.Split('\0')[..^1]);
            Assert.False(File.Exists(marker), "an argument ran a command");
        }
    }

    [Theory]
    // cron turns \% into %, and Debian's cron \\ into \, so the shell text may never have \ right before % or \:
    // the single-quoted word is split after the backslash.
    [InlineData("a\\%b", "'a\\''\\%b'", "'a\\''%b'")]
    [InlineData("a\\\\b", "'a\\''\\b'", "'a\\''\\b'")]
    [InlineData("\\\\%", "'\\''\\''\\%'", "'\\''\\''%'")]
    [InlineData("a\\b", "'a\\b'", "'a\\b'")]
    public void Backslashes_are_kept_apart_from_what_cron_would_eat(string argument, string inLine, string toShell)
    {
        string line = CronTab.RenderLine(Def("x", command: new ScheduledCommand("/bin/echo", [argument])));
        Assert.Equal($"0 2 * * * '/bin/echo' {inLine} # sqlitebackup:x", line);
        Assert.Equal($"'/bin/echo' {toShell} # sqlitebackup:x", CronPercent(CommandPart(line), debian: true).Command);
        Assert.Equal($"'/bin/echo' {toShell} # sqlitebackup:x", CronPercent(CommandPart(line), debian: false).Command);
    }

    [Theory]
    [InlineData("line1\nline2", "line feed")]
    [InlineData("cr\r", "carriage return")]
    [InlineData("\n", "line feed")]
    public void Refuses_line_breaks_it_cannot_write_on_one_line(string argument, string what)
    {
        var e = Assert.Throws<ArgumentException>(() => CronTab.RenderLine(Def("x", command: new ScheduledCommand("/bin/echo", ["ok", argument]))));
        Assert.Contains("argument 2", e.Message);
        Assert.Contains(what, e.Message);
        Assert.DoesNotContain(argument, e.Message);
    }

    [Fact]
    public void Refuses_what_cron_cannot_run()
    {
        Assert.Throws<ArgumentException>(() => CronTab.RenderLine(Def("x", command: new ScheduledCommand("pwsh", []))));
        Assert.Throws<ArgumentException>(() => CronTab.RenderLine(Def("x", command: new ScheduledCommand("/dir/with\nbreak", []))));
        Assert.Contains("shutdown", Assert.Throws<ArgumentException>(() => CronTab.RenderLine(new ScheduleDefinition("x", Examples.Daily, Examples.Posix, true))).Message);
    }

    [Fact]
    public void Refuses_a_command_longer_than_cron_accepts()
    {
        // "'/bin/echo' '" + arg + "' # sqlitebackup:x": 13 + n + 18 bytes.
        var fits = Def("x", command: new ScheduledCommand("/bin/echo", [new string('a', CronTab.MaxCommandBytes - 31)]));
        Assert.Equal(CronTab.MaxCommandBytes, Encoding.UTF8.GetByteCount(CommandPart(CronTab.RenderLine(fits))));
        var tooLong = Def("x", command: new ScheduledCommand("/bin/echo", [new string('a', CronTab.MaxCommandBytes - 30)]));
        Assert.Contains("at most 998", Assert.Throws<ArgumentException>(() => CronTab.RenderLine(tooLong)).Message);
        // Multi-byte characters count as bytes, as cron counts them.
        var wide = Def("x", command: new ScheduledCommand("/bin/echo", [new string('é', 500)]));
        Assert.Throws<ArgumentException>(() => CronTab.RenderLine(wide));
    }

    /// <summary>Debian's own parser checks what we write, when crontab is installed (it is not needed otherwise).</summary>
    [SkippableFact]
    public void Crontab_accepts_the_lines()
    {
        Skip.IfNot(Cli.Has("crontab"), "crontab is not installed (Debian package cron)");
        using var dir = new TempDir();
        string text = "MAILTO=\"\"\n";
        foreach (var (name, spec) in new[] { ("daily", Examples.Daily), ("weekly", Examples.Weekly), ("hourly", Examples.Hourly), ("custom", Examples.Custom), ("monthly", ScheduleSpec.FromCron("0 3 1 jan,jul *")) })
            text = CronTab.Upsert(text, Def(name, spec));
        text = CronTab.Upsert(text, Def("hostile", command: new ScheduledCommand("/usr/bin/printf", ["%s\\0", .. Examples.Hostile("/nonexistent")])));
        File.WriteAllText(dir["crontab"], text);
        var (code, output, error) = Cli.Run("crontab", "-n", dir["crontab"]);
        Assert.True(code == 0, output + error);
        Assert.Contains("successfully checked", output + error);
    }

    const string Foreign =
        "# m h  dom mon dow   command\n" +
        "SHELL=/bin/sh\n" +
        "MAILTO=ops@example.com\n" +
        "\n" +
        "  # indented comment\n" +
        "17 * * * * cd / && run-parts --report /etc/cron.hourly\n" +
        "@reboot /usr/local/bin/warm-cache\n" +
        "0 1 * * * /usr/bin/find /tmp -mtime +7 -delete   \n" +
        "\t\n" +
        "30 4 * * * /usr/local/bin/rotate # keep this comment";

    [Fact]
    public void Upsert_into_an_empty_crontab()
    {
        var d = Def("nightly");
        Assert.Equal(CronTab.RenderLine(d) + "\n", CronTab.Upsert("", d));
    }

    [Fact]
    public void Upsert_appends_and_keeps_every_foreign_byte()
    {
        var d = Def("nightly");
        string result = CronTab.Upsert(Foreign, d);
        // The last foreign line had no newline: it gets one so our line starts on its own; nothing else changes.
        Assert.Equal(Foreign + "\n" + CronTab.RenderLine(d) + "\n", result);
        Assert.Equal(Foreign + "\n", CronTab.Remove(result, "nightly"));

        string withNewline = Foreign + "\n";
        Assert.Equal(withNewline + CronTab.RenderLine(d) + "\n", CronTab.Upsert(withNewline, d));
    }

    [Fact]
    public void Upsert_replaces_in_place_and_drops_duplicates()
    {
        var old = Def("nightly", ScheduleSpec.Daily(new TimeOnly(1, 0)));
        var other = Def("other");
        string before = "# top\n" + CronTab.RenderLine(old) + "\nFOO=bar\n" + CronTab.RenderLine(other) + "\n" + CronTab.RenderLine(old) + "\n# end";
        var updated = Def("nightly", ScheduleSpec.Daily(new TimeOnly(3, 30)));

        string after = CronTab.Upsert(before, updated);

        Assert.Equal("# top\n" + CronTab.RenderLine(updated) + "\nFOO=bar\n" + CronTab.RenderLine(other) + "\n# end", after);
        Assert.Equal(after, CronTab.Upsert(after, updated));
    }

    [Fact]
    public void Upsert_replacing_a_last_line_without_newline_adds_one()
    {
        var d = Def("nightly");
        string before = "# top\n" + CronTab.RenderLine(Def("nightly", Examples.Hourly));
        Assert.Equal("# top\n" + CronTab.RenderLine(d) + "\n", CronTab.Upsert(before, d));
    }

    [Fact]
    public void Remove_leaves_foreign_lines_byte_identical()
    {
        string ours = CronTab.RenderLine(Def("nightly"));
        string[] shapes = [Foreign, Foreign + "\n", "\n\n" + Foreign + "\r\n", ""];
        foreach (string foreign in shapes)
        {
            int cut = foreign.IndexOf("@reboot", StringComparison.Ordinal);
            string mixed = cut < 0 ? ours + "\n" : foreign[..cut] + ours + "\n" + foreign[cut..];
            Assert.Equal(foreign, CronTab.Remove(mixed, "nightly"));
            Assert.Equal(foreign, CronTab.Remove(foreign, "nightly"));
        }
        Assert.Equal("", CronTab.Remove(ours, "nightly"));
    }

    [Fact]
    public void Marker_names_match_exactly()
    {
        string text = CronTab.Upsert(CronTab.Upsert(CronTab.Upsert("", Def("a")), Def("ab")), Def("a.b"));
        Assert.Equal(["a", "ab", "a.b"], CronTab.Find(text).Select(f => f.Name));

        string withoutA = CronTab.Remove(text, "a");
        Assert.Equal(["ab", "a.b"], CronTab.Find(withoutA).Select(f => f.Name));
        Assert.Equal(text, CronTab.Remove(text, "A"));
        Assert.Equal(text, CronTab.Remove(text, "b"));

        string replaced = CronTab.Upsert(text, Def("a", Examples.Hourly));
        Assert.Equal(CronTab.RenderLine(Def("a", Examples.Hourly)), CronTab.Find(replaced).Single(f => f.Name == "a").Line);
        Assert.Equal(3, CronTab.Find(replaced).Count);
    }

    [Theory]
    // The marker text inside a quoted argument or an unterminated quote is data, not a comment.
    [InlineData("0 1 * * * /bin/echo '# sqlitebackup:x'")]
    [InlineData("0 1 * * * /bin/echo ' # sqlitebackup:x")]
    [InlineData("0 1 * * * /bin/echo \"a # sqlitebackup:x")]
    [InlineData("0 1 * * * /bin/echo \"a\" \"# sqlitebackup:x\"")]
    // An escaped blank keeps the '#' inside the word.
    [InlineData("0 1 * * * /bin/echo a\\ # sqlitebackup:x")]
    // The '#' must start a word.
    [InlineData("0 1 * * * /bin/echo a# sqlitebackup:x")]
    // An earlier comment makes the marker part of a longer comment.
    [InlineData("0 1 * * * /bin/echo a # note # sqlitebackup:x")]
    // cron cuts the command at an unescaped %: the marker would be standard input.
    [InlineData("0 1 * * * /bin/cat %input # sqlitebackup:x")]
    [InlineData("0 1 * * * /bin/echo a # sqlitebackup:x%")]
    // Text after the marker, or a marker spelt differently.
    [InlineData("0 1 * * * /bin/echo a # sqlitebackup:x y")]
    [InlineData("0 1 * * * /bin/echo a #sqlitebackup:x")]
    [InlineData("0 1 * * * /bin/echo a # SQLITEBACKUP:x")]
    // Not a job line: comments, environment settings, a commented-out job, too few fields.
    [InlineData("# sqlitebackup:x")]
    [InlineData("#0 1 * * * /bin/echo a # sqlitebackup:x")]
    [InlineData("X=1 # sqlitebackup:x")]
    [InlineData("X = 0 1 * * * /bin/echo # sqlitebackup:x")]
    [InlineData("0 1 * * # sqlitebackup:x")]
    // Constructs the reader does not follow are never taken as ours.
    [InlineData("0 1 * * * /bin/echo `echo # sqlitebackup:x")]
    [InlineData("0 1 * * * /bin/echo $'a\\' # sqlitebackup:x")]
    [InlineData("0 1 * * * /bin/echo \"$(echo \")\" # sqlitebackup:x")]
    public void Foreign_lines_with_marker_text_are_not_ours(string line)
    {
        Assert.Empty(CronTab.Find(line + "\n"));
        Assert.Equal(line + "\n", CronTab.Remove(line + "\n", "x"));
        Assert.Equal(line + "\n" + CronTab.RenderLine(Def("x")) + "\n", CronTab.Upsert(line + "\n", Def("x")));
    }

    [Theory]
    [InlineData("0 1 * * * /bin/echo a # sqlitebackup:x")]
    [InlineData("0 1 * * * /bin/echo a # sqlitebackup:x  \t")]
    [InlineData("0 1 * * * /bin/echo a # sqlitebackup:x\r")]
    [InlineData("  @daily   /bin/echo 'it''s' \"q\\\"\" a\\%b;# sqlitebackup:x")]
    [InlineData("*/5\t1-5 * jan mon-fri '/bin/echo' '# sqlitebackup:y' # sqlitebackup:x")]
    public void Hand_written_lines_with_our_final_comment_are_ours(string line)
    {
        Assert.Equal([("x", line)], CronTab.Find(line + "\nfoo=bar\n"));
        Assert.Equal("foo=bar\n", CronTab.Remove(line + "\nfoo=bar\n", "x"));
    }

    [Fact]
    public void Every_rendered_line_is_found_again()
    {
        using var dir = new TempDir();
        foreach (var spec in new[] { Examples.Daily, Examples.Weekly, Examples.Hourly, Examples.Custom })
        {
            var d = Def("nightly", spec, new ScheduledCommand("/usr/bin/printf", ["%s\\0", .. Examples.Hostile(dir["x"])]));
            string line = CronTab.RenderLine(d);
            Assert.Equal([("nightly", line)], CronTab.Find(CronTab.Upsert(Foreign, d)));
        }
    }

    [Fact]
    public void Remove_and_Upsert_validate_the_name()
    {
        Assert.Throws<ArgumentException>(() => CronTab.Remove("", "bad name"));
        Assert.Throws<ArgumentNullException>(() => CronTab.Upsert(null!, Def("x")));
    }

    /// <summary>
    /// The real daemon, opt-in because it waits for the next minute: SQLITEBACKUP_REAL_CRON=1. It runs in a private
    /// mount namespace with empty system crontabs, spool and /run, so none of the machine's own cron jobs runs and a
    /// cron already running on the machine is neither disturbed nor in the way.
    /// </summary>
    [SkippableFact]
    public void Real_cron_runs_the_line_with_the_exact_arguments()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("SQLITEBACKUP_REAL_CRON") == "1", "set SQLITEBACKUP_REAL_CRON=1 to run cron itself (about a minute)");
        Skip.IfNot(File.Exists("/usr/sbin/cron") && Cli.Has("unshare") && Environment.UserName == "root", "needs root, unshare and /usr/sbin/cron");
        using var dir = new TempDir();
        string marker = dir["pwned"];
        string output = dir["out"];
        string[] args = [.. Examples.Hostile(marker)];
        // A tiny program that writes its argv NUL-separated, so the comparison does not depend on printf.
        string dump = dir["dump"];
        File.WriteAllText(dump, $"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > '{output}.tmp' && mv '{output}.tmp' '{output}'\n");
        UserSystemd.PrivateToOwner(dump);

        var d = new ScheduleDefinition("realcron", ScheduleSpec.FromCron("* * * * *"), new ScheduledCommand(dump, args));
        File.WriteAllText(dir["crontab"], CronTab.Upsert("SHELL=/bin/sh\nMAILTO=\"\"\n", d));
        File.WriteAllText(dir["run.sh"], $$"""
            set -e
            mount -t tmpfs tmpfs /var/spool/cron
            mkdir -p /var/spool/cron/crontabs && chmod 1730 /var/spool/cron/crontabs
            mount -t tmpfs tmpfs /etc/cron.d
            : > '{{dir["empty"]}}' && mount --bind '{{dir["empty"]}}' /etc/crontab
            # cron's pid file and lock live in /run; a private one lets this run beside the machine's own cron.
            mount -t tmpfs tmpfs /run
            crontab -u root '{{dir["crontab"]}}'
            /usr/sbin/cron -f -L 0 &
            pid=$!
            i=0
            while [ ! -e '{{output}}' ] && [ $i -lt 150 ]; do sleep 0.5; i=$((i+1)); done
            kill $pid
            """);
        var psi = new ProcessStartInfo("unshare", ["-m", "--propagation", "private", "/bin/sh", dir["run.sh"]]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "cron test timed out");
        Assert.True(File.Exists(output), "cron did not run the job: " + err);
        Assert.Equal(args, File.ReadAllText(output).Split('\0')[..^1]);
        Assert.False(File.Exists(marker), "an argument ran a command");
    }
}
