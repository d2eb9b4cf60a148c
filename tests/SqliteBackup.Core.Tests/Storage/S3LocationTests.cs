using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>How an s3:// location is read: no server needed. In the radosgw collection all the same, because one test sets
/// AWS_ENDPOINT_URL*, which the store tests there read.</summary>
[Collection(RadosGwCollection.Name)]
public sealed class S3LocationTests
{
    [Theory]
    // System.Uri drops a fragment and resolves dot segments before the path is read: all of these would have named
    // another place (s3://bucket/p, s3://bucket/keep...) without a word.
    [InlineData("s3://bucket/p#x", "fragment")]
    [InlineData("s3://bucket/keep#weekly", "fragment")]
    [InlineData("s3://bucket/p?region=us-east-1#x", "fragment")]
    [InlineData("s3://bucket/x/../p", "segment ('..')")]
    [InlineData("s3://bucket/x/%2E%2E/p", "segment ('%2E%2E')")]
    [InlineData("s3://bucket/x/%2e%2e/p", "segment ('%2e%2e')")]
    [InlineData("s3://bucket/x/./p", "segment ('.')")]
    [InlineData("s3://bucket/x/%2e/p", "segment ('%2e')")]
    [InlineData("s3://bucket/..", "segment ('..')")]
    [InlineData("s3://bucket/a//b", "segment ('')")]
    [InlineData("s3://bucket//a", "segment ('')")]
    [InlineData("s3://bucket/a?colour=blue", "'colour' is not a setting")]
    public void A_location_that_would_name_another_place_is_refused_as_written(string written, string reason)
    {
        var e = Assert.Throws<SqliteBackupException>(() => S3Location.Parse(new Uri(written)));
        Assert.Equal("StoreLocationInvalid", e.ErrorId);
        Assert.Contains(reason, e.Message);
        // Shown as written (less any query), not as System.Uri resolved it.
        Assert.Contains(written.Split('?', '#')[0], e.Message);
        Assert.Equal("StoreLocationInvalid", Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open(written)).ErrorId);
    }

    [Theory]
    // written                              prefix          shown and reopened as
    [InlineData("s3://bucket", "", "s3://bucket")]
    [InlineData("s3://bucket/", "", "s3://bucket")]
    [InlineData("s3://bucket/a/b/", "a/b", "s3://bucket/a/b")]
    [InlineData("s3://bucket/pct%2541", "pct%41", "s3://bucket/pct%2541")]
    [InlineData("s3://bucket/100%25", "100%", "s3://bucket/100%25")]
    [InlineData("s3://bucket/a%20b/ü", "a b/ü", "s3://bucket/a b/ü")]
    [InlineData("s3://bucket/a b", "a b", "s3://bucket/a b")]
    [InlineData("s3://bucket/tag%23weekly", "tag#weekly", "s3://bucket/tag%23weekly")]
    [InlineData("s3://bucket/what%3F", "what?", "s3://bucket/what%3F")]
    [InlineData("s3://bucket/x%2Fy", "x/y", "s3://bucket/x/y")]
    public void The_location_shown_reopens_the_same_prefix(string written, string prefix, string shown)
    {
        var l = S3Location.Parse(new Uri(written));
        Assert.Equal(prefix, l.Prefix);
        Assert.Equal(shown, l.Text);
        Assert.Equal(l, S3Location.Parse(new Uri(l.Text)));
    }

    [Theory]
    [InlineData("s3://bucket/p?endpoint=http://u:SEKRET-4711@127.0.0.1:9000")]
    [InlineData("s3://bucket/p?endpoint=http%3A%2F%2Fu%3ASEKRET-4711%40127.0.0.1%3A9000")]
    [InlineData("s3://bucket/p?endpoint=http://SEKRET-4711@127.0.0.1:9000")]
    public void An_endpoint_with_user_info_is_refused_without_repeating_it(string written)
    {
        var e = Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open(written));
        Assert.Equal("StoreLocationInvalid", e.ErrorId);
        Assert.Contains("credentials do not belong in the endpoint", e.Message);
        Assert.DoesNotContain("SEKRET", e.Message + e.RecommendedAction + e.ToString());
    }

    [Theory]
    [InlineData("AWS_ENDPOINT_URL_S3")]
    [InlineData("AWS_ENDPOINT_URL")]
    public void An_endpoint_variable_with_user_info_is_refused_before_anything_is_sent(string variable)
    {
        var saved = new[] { "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var v in saved.Keys) Environment.SetEnvironmentVariable(v, null);
            // Nothing listens there: had a request been sent, the error would be StoreUnavailable naming the endpoint.
            Environment.SetEnvironmentVariable(variable, "http://admin:SEKRET-4712@127.0.0.1:9/");
            var e = Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open("s3://bucket/p", new StoreOptions { UserName = "k", Secret = "s" }));
            Assert.Equal("StoreLocationInvalid", e.ErrorId);
            Assert.Contains(variable, e.Message);
            Assert.DoesNotContain("SEKRET", e.Message + e.RecommendedAction + e.ToString());
            Environment.SetEnvironmentVariable(variable, "not a url SEKRET-4713");
            e = Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open("s3://bucket/p", new StoreOptions { UserName = "k", Secret = "s" }));
            Assert.DoesNotContain("SEKRET", e.Message + e.RecommendedAction + e.ToString());
        }
        finally
        {
            foreach (var (v, value) in saved) Environment.SetEnvironmentVariable(v, value);
        }
    }
}
