using SqliteBackup.Core.Guard;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Guard;

/// <summary>
/// The guard around an operation: a verified backup first (or the operation never runs), then the operation, then on
/// failure either nothing or a restore of that backup through the safe restore path. Real databases, real backup logs.
/// </summary>
public class OperationGuardTests
{
    static OperationGuard Guard(ListLogger? list = null) => new(dir =>
        new CompositeLogger(list ?? new ListLogger(), new BackupLogProvider(new JsonLinesLog(Path.Combine(dir, JsonLinesLog.DefaultFileName))).CreateLogger("guard")));

    static List<BackupLogEntry> Log(string backups) => new JsonLinesLog(Path.Combine(backups, JsonLinesLog.DefaultFileName)).Read().ToList();

    [Fact]
    public void A_successful_operation_runs_after_a_verified_PreMigration_backup_and_is_logged()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        bool backupExistedWhenRun = false;
        var r = Guard().Run(new GuardRequest([t["app.db"]]) { Destination = t["backups"] }, () =>
        {
            backupExistedWhenRun = new BackupCatalog().List(t["backups"]).Count == 1;
            Db.Exec(t["app.db"], "CREATE TABLE audit (x); PRAGMA user_version = 7;");
            return ["done"];
        });

        Assert.True(backupExistedWhenRun);
        Assert.Equal(GuardOutcome.Succeeded, r.Outcome);
        Assert.False(r.Restored);
        Assert.Equal(["done"], r.Output);
        var d = Assert.Single(r.Databases);
        Assert.Equal(BackupType.PreMigration, d.Backup!.Type);
        Assert.True(d.Backup.Verified);
        Assert.Equal(VerificationLevel.Standard, d.Backup.LastVerificationRecord!.Level);
        Assert.Equal(3, d.SchemaBefore!.UserVersion); // the sample database is at version 3
        Assert.Equal(7, d.SchemaAfter!.UserVersion);
        Assert.NotEqual(d.SchemaBefore.SchemaHash, d.SchemaAfter.SchemaHash);
        Assert.True(d.SchemaChanged);
        var logged = Log(t["backups"]);
        Assert.True(logged.Any(e => e.Event == BackupEvents.GuardedOperationSucceeded.Name && e.Database == "app" && e.BackupId == d.Backup.Id), string.Join("\n", logged.Select(e => e.ToJsonLine())));
    }

    [Fact]
    public void When_a_backup_fails_the_operation_never_runs()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["empty.db"], "");
        bool ran = false;
        var r = Guard().Run(new GuardRequest([t["app.db"], t["empty.db"]]) { Destination = t["backups"] }, () => { ran = true; return []; });

        Assert.False(ran);
        Assert.Equal(GuardOutcome.NotRun, r.Outcome);
        Assert.Equal("GuardBackupFailed", r.Error!.ErrorId);
        Assert.Contains("empty.db", r.Error.Message);
        Assert.Equal("DatabaseFileEmpty", ((SqliteBackupException)r.Error.InnerException!).ErrorId);
        Assert.Contains(Log(t["backups"]), e => e.Event == BackupEvents.GuardedOperationNotRun.Name);
    }

    [Fact]
    public void A_failed_operation_without_RestoreOnFailure_leaves_the_database_as_the_operation_left_it()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var boom = new InvalidOperationException("migration step 3 failed");
        var r = Guard().Run(new GuardRequest([t["app.db"]]) { Destination = t["backups"] }, () =>
        {
            Db.Exec(t["app.db"], "DELETE FROM assignments;");
            throw boom;
        });

        Assert.Equal(GuardOutcome.Failed, r.Outcome);
        Assert.Same(boom, r.OperationError);
        Assert.False(r.Restored);
        Assert.Equal(0, Db.Count(t["app.db"], "assignments"));
        Assert.Contains(Log(t["backups"]), e => e.Event == BackupEvents.GuardedOperationFailed.Name && e.Error!.Contains("migration step 3 failed"));
    }

    [Fact]
    public void A_failed_operation_with_RestoreOnFailure_is_rolled_back_and_the_failed_state_kept_as_PreRestore()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        SampleDatabase.Create(t["other.db"]);
        var r = Guard().Run(new GuardRequest([t["app.db"], t["other.db"]]) { Destination = t["backups"], RestoreOnFailure = true }, () =>
        {
            Db.Exec(t["app.db"], "DELETE FROM assignments; PRAGMA user_version = 9;");
            Db.Exec(t["other.db"], "DROP TABLE assignments;");
            throw new InvalidOperationException("boom");
        });

        Assert.Equal(GuardOutcome.Failed, r.Outcome);
        Assert.True(r.Restored);
        Assert.True(Db.Count(t["app.db"], "assignments") > 0);
        Assert.True(Db.Count(t["other.db"], "assignments") > 0);
        foreach (var d in r.Databases)
        {
            Assert.NotNull(d.Restore);
            Assert.Equal(BackupType.PreRestore, d.Restore!.PreRestoreBackup!.Type);
            Assert.Equal(d.SchemaBefore, d.SchemaAfter);
        }
        var pre = r.Databases.Single(d => d.Database == "app").Restore!.PreRestoreBackup!;
        Assert.Equal(0, pre.Manifest.TableRowCounts["assignments"]);
        Assert.Equal(2, Log(t["backups"]).Count(e => e.Event == BackupEvents.GuardRestored.Name));
    }

    [Fact]
    public void ExpectSchemaChange_records_an_unchanged_schema_in_the_log()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var r = Guard().Run(new GuardRequest([t["app.db"]]) { Destination = t["backups"], ExpectSchemaChange = true },
            () => { Db.Exec(t["app.db"], "UPDATE employees SET id = id;"); return []; });

        Assert.Equal(GuardOutcome.Succeeded, r.Outcome);
        Assert.Equal(["app"], r.SchemaUnchanged);
        var e = Assert.Single(Log(t["backups"]), e => e.Event == BackupEvents.SchemaChangeChecked.Name);
        Assert.Equal("Warning", e.Level);
        Assert.Contains("user_version 3 -> 3", e.Message);
    }

    [Fact]
    public void Schema_state_follows_user_version_and_the_schema_text()
    {
        using var t = new TempDir();
        Db.Exec(t["s.db"], "CREATE TABLE a (x);");
        var first = SchemaState.Read(t["s.db"]);
        Db.Exec(t["s.db"], "INSERT INTO a VALUES (1);");
        Assert.Equal(first, SchemaState.Read(t["s.db"]));
        Db.Exec(t["s.db"], "CREATE INDEX ax ON a (x);");
        Assert.NotEqual(first.SchemaHash, SchemaState.Read(t["s.db"]).SchemaHash);
        Db.Exec(t["s.db"], "PRAGMA user_version = 3;");
        Assert.Equal(3, SchemaState.Read(t["s.db"]).UserVersion);
    }
}
