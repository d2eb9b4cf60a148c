using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Tests.Scheduling;

public sealed class ScheduleDefinitionTests
{
    [Theory]
    [InlineData("nightly")]
    [InlineData("app-db")]
    [InlineData("app_db.v2")]
    [InlineData("A")]
    [InlineData("9")]
    [InlineData("CONsole")]
    [InlineData("com10")]
    [InlineData("x23456789012345678901234567890123456789012345678901234567890abcd")]
    public void Accepts_names_every_back_end_can_use(string name)
    {
        ScheduleDefinition.ValidateName(name);
        Assert.True(ScheduleDefinition.IsValidName(name));
        _ = new ScheduleDefinition(name, Examples.Daily, Examples.Posix);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("x23456789012345678901234567890123456789012345678901234567890abcde", "more than 64")]
    [InlineData("has space", "' ' is not allowed")]
    [InlineData("a/b", "'/' is not allowed")]
    [InlineData("a\\b", "'\\' is not allowed")]
    [InlineData("a:b", "':' is not allowed")]
    [InlineData("ünï", "'ü' is not allowed")]
    [InlineData("a\nb", "is not allowed")]
    [InlineData(".hidden", "start with a letter or digit")]
    [InlineData("..", "start with a letter or digit")]
    [InlineData("-rf", "start with a letter or digit")]
    [InlineData("_x", "start with a letter or digit")]
    [InlineData("trailing.", "end with '.'")]
    [InlineData("CON", "reserved device name")]
    [InlineData("nul", "reserved device name")]
    [InlineData("Com1", "reserved device name")]
    [InlineData("lpt9.backup", "reserved device name")]
    public void Rejects_names_with_a_message_naming_the_problem(string name, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => new ScheduleDefinition(name, Examples.Daily, Examples.Posix));
        Assert.Contains(problem, e.Message);
        Assert.False(ScheduleDefinition.IsValidName(name));
    }

    [Fact]
    public void Shutdown_command_needs_BackupOnShutdown()
    {
        Assert.Throws<ArgumentException>(() => new ScheduleDefinition("x", Examples.Daily, Examples.Posix, shutdownCommand: Examples.PosixShutdown));
        Assert.Null(new ScheduleDefinition("x", Examples.Daily, Examples.Posix).EffectiveShutdownCommand);
        Assert.Equal(Examples.Posix, new ScheduleDefinition("x", Examples.Daily, Examples.Posix, true).EffectiveShutdownCommand);
        Assert.Equal(Examples.PosixShutdown, new ScheduleDefinition("x", Examples.Daily, Examples.Posix, true, Examples.PosixShutdown).EffectiveShutdownCommand);
    }

    [Fact]
    public void Command_refuses_what_no_scheduler_can_carry()
    {
        Assert.Throws<ArgumentException>(() => new ScheduledCommand("", []));
        Assert.Contains("argument 2", Assert.Throws<ArgumentException>(() => new ScheduledCommand("/bin/echo", ["ok", "nul\0"])).Message);
        Assert.Contains("unpaired surrogate", Assert.Throws<ArgumentException>(() => new ScheduledCommand("/bin/echo", ["\ud800"])).Message);
        Assert.Throws<ArgumentNullException>(() => new ScheduledCommand("/bin/echo", [null!]));
        Assert.Equal(new ScheduledCommand("/bin/echo", ["a", "b"]), new ScheduledCommand("/bin/echo", new List<string> { "a", "b" }));
        Assert.NotEqual(new ScheduledCommand("/bin/echo", ["a", "b"]), new ScheduledCommand("/bin/echo", ["a b"]));
    }

    [Theory]
    [InlineData("", "''")]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("'", "''\\'''")]
    [InlineData("$(x) `y` \\ \"z\"", "'$(x) `y` \\ \"z\"'")]
    public void QuotePosix_single_quotes_everything(string value, string quoted) =>
        Assert.Equal(quoted, ScheduledCommand.QuotePosix(value));

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "\"\"")]
    [InlineData("with space", "\"with space\"")]
    [InlineData("C:\\Program Files\\", "\"C:\\Program Files\\\\\"")]
    [InlineData("no\\space\\", "no\\space\\")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("a\\\"b", "\"a\\\\\\\"b\"")]
    [InlineData("\\\\server\\share", "\\\\server\\share")]
    public void QuoteWindows_follows_CommandLineToArgvW(string value, string quoted)
    {
        Assert.Equal(quoted, ScheduledCommand.QuoteWindows(value));
        Assert.Equal([value], CommandLineToArgv.Split(quoted));
    }
}
