using SqliteBackup.Core.Snapshot;
namespace SqliteBackup.Core.Tests;

/// <summary>The tripwire's rule: did a checkpoint begin between two readings of the wal-index?</summary>
public class WalIndexTests
{
    [Theory]
    // same WAL generation (salts)
    [InlineData(7, 0, 0, 7, 0, 0, false)]      // nothing happened
    [InlineData(7, 10, 10, 7, 10, 10, false)]  // frames appended meanwhile change neither counter
    [InlineData(7, 0, 0, 7, 0, 40, true)]      // a checkpoint began (it writes after recording the attempt)
    [InlineData(7, 0, 0, 7, 40, 40, true)]     // and finished
    // the WAL was restarted meanwhile: allowed beside a lock-0 reader, and it writes nothing to the database file
    [InlineData(7, 10, 10, 8, 0, 0, false)]
    [InlineData(7, 10, 10, 8, 0, 25, true)]    // but a checkpoint after the restart did
    [InlineData(7, 10, 10, 8, 25, 25, true)]
    public void A_checkpoint_between_two_readings_is_seen(long salts0, int nb0, int att0, long salts1, int nb1, int att1, bool expected)
    {
        var before = new WalIndex.Checkpoints((ulong)salts0, (uint)nb0, (uint)att0);
        var after = new WalIndex.Checkpoints((ulong)salts1, (uint)nb1, (uint)att1);
        Assert.Equal(expected, WalIndex.Checkpoints.CheckpointedBetween(before, after));
    }
}
