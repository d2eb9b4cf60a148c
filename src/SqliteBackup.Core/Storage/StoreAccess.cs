namespace SqliteBackup.Core.Storage;

/// <summary>
/// How a store was reached: the location as given (with its ?endpoint=, which the backups' display paths leave out) and
/// the options (a credential). The backups listed from a store keep it in memory, so that what acts on them later (a
/// piped Test, Restore, Remove, Copy, rotation) reaches the store the way the listing did. Never serialised: it is not
/// a public property of anything the cmdlets emit.
/// </summary>
public sealed class StoreAccess(string location, StoreOptions? options = null)
{
    public string Location { get; } = location;
    internal StoreOptions Options { get; } = (options ?? new StoreOptions()) with { Create = false };

    public IBackupStore Open() => StoreRegistry.Open(Location, Options);

    public override string ToString() => StoreText.Redact(Location);
}
