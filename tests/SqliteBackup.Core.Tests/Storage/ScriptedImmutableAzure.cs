using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security;
using System.Security.Cryptography;
using System.Text;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// Just enough of the Blob REST API, in memory on 127.0.0.1, to test blob immutability policies, which Azurite does not
/// implement (Azure/Azurite#2648): container properties (x-ms-immutable-storage-with-versioning-enabled), Put Blob
/// (create-only by If-None-Match), Get/HEAD/Delete Blob, List Blobs, and Set Blob Immutability Policy
/// (PUT ?comp=immutabilityPolicies with x-ms-immutability-policy-until-date and -mode). A delete of a blob whose policy
/// has not expired is answered 409 BlobImmutableDueToPolicy, as the service documents. Every request is recorded.
/// </summary>
sealed class ScriptedImmutableAzure : IDisposable
{
    public const string Container = "c-worm";

    public sealed record Request(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers);

    public sealed class Blob
    {
        public byte[] Data = [];
        public DateTimeOffset Modified;
        public DateTimeOffset? PolicyUntil;
        public string? PolicyMode;
    }

    readonly HttpListener _listener = new();
    readonly Task _loop;
    readonly ConcurrentQueue<Request> _requests = new();

    /// <param name="immutable">Whether the container has version-level immutability on.</param>
    /// <param name="keepPolicies">False: Set Blob Immutability Policy answers 200 but keeps nothing (a proxy that lies).</param>
    /// <param name="containerForbidden">The container's properties answer 403, as to a container-scoped SAS.</param>
    public ScriptedImmutableAzure(bool immutable = true, bool keepPolicies = true, bool containerForbidden = false)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; }
        Location = $"azure+http://127.0.0.1:{port}/devstoreaccount1/{Container}/p";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (true)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); } catch (Exception) { return; }
                try { Answer(ctx, immutable, keepPolicies, containerForbidden); }
                catch (Exception) { try { ctx.Response.Abort(); } catch (Exception) { } }
            }
        });
    }

    /// <summary>The location, in the container URL form (azure+http://127.0.0.1:port/devstoreaccount1/c-worm/p).</summary>
    public string Location { get; }

    public ConcurrentDictionary<string, Blob> Blobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Blobs (by key) whose policy is answered 200 but not kept, as keepPolicies: false does for all.</summary>
    public Func<string, bool> ForgetsPolicyOf { get; set; } = _ => false;

    /// <summary>Blobs (by key) whose policy is kept but answered 503 every time, as a gateway that timed out waiting for the service would.</summary>
    public Func<string, bool> FailsPolicyAnswerOf { get; set; } = _ => false;

    /// <summary>Blobs (by key) a delete of is refused 403, as to a credential that may write but not delete.</summary>
    public Func<string, bool> ForbidsDeleteOf { get; set; } = _ => false;

    public IReadOnlyList<Request> Requests => [.. _requests];

    public IEnumerable<Request> PolicyRequests => Requests.Where(r => r.Method == "PUT" && r.Query.Contains("comp=immutabilityPolicies", StringComparison.Ordinal));

    public IEnumerable<Request> BlobPuts => Requests.Where(r => r.Method == "PUT" && !r.Query.Contains("comp=", StringComparison.Ordinal));

    void Answer(HttpListenerContext ctx, bool immutable, bool keepPolicies, bool containerForbidden)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        _head = req.HttpMethod == "HEAD";
        string path = Uri.UnescapeDataString(req.Url!.AbsolutePath);
        string query = req.Url.Query;
        _requests.Enqueue(new Request(req.HttpMethod, path, query, req.Headers.AllKeys.Where(k => k != null).ToDictionary(k => k!.ToLowerInvariant(), k => req.Headers[k]!)));
        byte[] body;
        using (var ms = new MemoryStream()) { req.InputStream.CopyTo(ms); body = ms.ToArray(); }

        string containerPath = $"/devstoreaccount1/{Container}";
        res.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        res.Headers["x-ms-version"] = req.Headers["x-ms-version"] ?? "2025-01-05";
        if (path == containerPath && query.Contains("comp=list", StringComparison.Ordinal))
        {
            string prefix = Param(query, "prefix") ?? "";
            var xml = new StringBuilder($"<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"{req.Url.GetLeftPart(UriPartial.Authority)}/devstoreaccount1/\" ContainerName=\"{Container}\"><Prefix>{SecurityElement.Escape(prefix)}</Prefix><Delimiter>/</Delimiter><Blobs>");
            foreach (var (name, b) in Blobs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!name.StartsWith(prefix, StringComparison.Ordinal) || name[prefix.Length..].Contains('/')) continue;
                xml.Append($"<Blob><Name>{SecurityElement.Escape(name)}</Name><Properties><Last-Modified>{b.Modified:R}</Last-Modified><Etag>\"{ETag(b)}\"</Etag><Content-Length>{b.Data.Length}</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob>");
            }
            xml.Append("</Blobs><NextMarker /></EnumerationResults>");
            Send(res, 200, Encoding.UTF8.GetBytes(xml.ToString()), "application/xml");
            return;
        }
        if (path == containerPath && containerForbidden) { Error(res, 403, "AuthorizationResourceTypeMismatch"); return; }
        if (path == containerPath)
        {
            res.Headers["ETag"] = "\"0x1\"";
            res.Headers["Last-Modified"] = DateTimeOffset.UtcNow.ToString("R");
            res.Headers["x-ms-immutable-storage-with-versioning-enabled"] = immutable ? "true" : "false";
            Send(res, 200, [], null);
            return;
        }
        if (!path.StartsWith(containerPath + "/", StringComparison.Ordinal)) { Error(res, 400, "InvalidUri"); return; }
        string key = path[(containerPath.Length + 1)..];
        Blobs.TryGetValue(key, out var blob);

        if (req.HttpMethod == "PUT" && query.Contains("comp=immutabilityPolicies", StringComparison.Ordinal))
        {
            if (blob == null) { Error(res, 404, "BlobNotFound"); return; }
            if (!immutable) { Error(res, 409, "ImmutableStorageWithVersioningIsNotEnabled"); return; }
            var until = DateTimeOffset.ParseExact(req.Headers["x-ms-immutability-policy-until-date"]!, "R", CultureInfo.InvariantCulture);
            string mode = req.Headers["x-ms-immutability-policy-mode"] ?? "Unlocked";
            if (blob.PolicyMode == "Locked" && (mode != "Locked" || until < blob.PolicyUntil)) { Error(res, 409, "ImmutabilityPolicyCannotBeShortened"); return; }
            if (keepPolicies && !ForgetsPolicyOf(key)) { blob.PolicyUntil = until; blob.PolicyMode = mode; }
            if (FailsPolicyAnswerOf(key)) { Error(res, 503, "ServerBusy"); return; }
            res.Headers["x-ms-immutability-policy-until-date"] = until.ToString("R");
            res.Headers["x-ms-immutability-policy-mode"] = mode.ToLowerInvariant();
            Send(res, 200, [], null);
            return;
        }
        switch (req.HttpMethod)
        {
            case "PUT":
                if (query.Contains("comp=", StringComparison.Ordinal)) { Error(res, 400, "UnsupportedQueryParameter"); return; }
                if (blob != null && req.Headers["If-None-Match"] == "*") { Error(res, 409, "BlobAlreadyExists"); return; }
                if (blob?.PolicyUntil > DateTimeOffset.UtcNow) { Error(res, 409, "BlobImmutableDueToPolicy"); return; }
                var stored = new Blob { Data = body, Modified = DateTimeOffset.UtcNow };
                Blobs[key] = stored;
                res.Headers["ETag"] = $"\"{ETag(stored)}\"";
                res.Headers["Last-Modified"] = stored.Modified.ToString("R");
                res.Headers["Content-MD5"] = Convert.ToBase64String(MD5.HashData(body));
                res.Headers["x-ms-request-server-encrypted"] = "true";
                Send(res, 201, [], null);
                return;
            case "HEAD":
            case "GET":
                if (blob == null) { Error(res, 404, "BlobNotFound"); return; }
                res.Headers["ETag"] = $"\"{ETag(blob)}\"";
                res.Headers["Last-Modified"] = blob.Modified.ToString("R");
                res.Headers["x-ms-blob-type"] = "BlockBlob";
                res.Headers["x-ms-creation-time"] = blob.Modified.ToString("R");
                if (blob.PolicyUntil is { } u)
                {
                    res.Headers["x-ms-immutability-policy-until-date"] = u.ToString("R");
                    res.Headers["x-ms-immutability-policy-mode"] = blob.PolicyMode!.ToLowerInvariant();
                }
                if (req.HttpMethod == "HEAD")
                {
                    res.ContentLength64 = blob.Data.Length;
                    res.StatusCode = 200;
                    res.Close();
                }
                else Send(res, 200, blob.Data, "application/octet-stream");
                return;
            case "DELETE":
                if (blob == null) { Error(res, 404, "BlobNotFound"); return; }
                if (blob.PolicyUntil > DateTimeOffset.UtcNow) { Error(res, 409, "BlobImmutableDueToPolicy"); return; }
                if (ForbidsDeleteOf(key)) { Error(res, 403, "AuthorizationPermissionMismatch"); return; }
                Blobs.TryRemove(key, out _);
                res.Headers["x-ms-delete-type-permanent"] = "true";
                Send(res, 202, [], null);
                return;
            default:
                Error(res, 400, "UnsupportedHttpVerb");
                return;
        }
    }

    static string ETag(Blob b) => "0x" + Convert.ToHexString(SHA256.HashData(b.Data))[..16];

    static string? Param(string query, string name) =>
        query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).Where(p => p[0] == name).Select(p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : "")).FirstOrDefault();

    /// <summary>As the service answers: the code in x-ms-error-code, and in an XML body except to a HEAD.</summary>
    [ThreadStatic] static bool _head;

    static void Error(HttpListenerResponse res, int status, string code)
    {
        res.Headers["x-ms-error-code"] = code;
        if (_head) { Send(res, status, [], null); return; }
        Send(res, status, Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>scripted</Message></Error>"), "application/xml");
    }

    static void Send(HttpListenerResponse res, int status, byte[] body, string? type)
    {
        res.StatusCode = status;
        if (type != null) res.ContentType = type;
        res.ContentLength64 = body.Length;
        if (body.Length > 0) res.OutputStream.Write(body);
        res.Close();
    }

    public void Dispose()
    {
        try { _listener.Abort(); } catch (ObjectDisposedException) { }
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
