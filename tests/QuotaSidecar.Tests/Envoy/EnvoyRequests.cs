using Google.Protobuf.WellKnownTypes;
using QuotaSidecar.Api.Envoy.Auth.V3;
using QuotaSidecar.Api.Envoy.RateLimit.Common.V3;
using QuotaSidecar.Api.Envoy.RateLimit.V3;

namespace QuotaSidecar.Tests.Envoy;

/// <summary>
/// Requests shaped as Envoy sends them: an HTTP ext_authz filter's CheckRequest (peers, request time, lower-cased
/// headers including the pseudo headers, path with its query string, x-request-id as the id), and a rate limit
/// filter's RateLimitRequest (domain, descriptors, hits_addend).
/// </summary>
internal static class EnvoyRequests
{
    public static CheckRequest Check(string method, string path, IDictionary<string, string>? headers = null, string? principal = null)
    {
        var requestId = Guid.NewGuid().ToString();
        var http = new AttributeContext.Types.HttpRequest
        {
            Id = requestId,
            Method = method,
            Path = path,
            Host = "reports.shop.svc.cluster.local:8080",
            Scheme = "http",
            Protocol = "HTTP/1.1",
            Size = -1,
        };
        http.Headers.Add(":authority", http.Host);
        http.Headers.Add(":method", method);
        http.Headers.Add(":path", path);
        http.Headers.Add(":scheme", "http");
        http.Headers.Add("user-agent", "curl/8.5.0");
        http.Headers.Add("x-request-id", requestId);
        http.Headers.Add("x-forwarded-proto", "http");
        foreach (var (key, value) in headers ?? new Dictionary<string, string>())
        {
            http.Headers.Add(key.ToLowerInvariant(), value); // Envoy lower-cases every key
        }

        return new CheckRequest
        {
            Attributes = new AttributeContext
            {
                Source = new AttributeContext.Types.Peer { Principal = principal ?? "" },
                Destination = new AttributeContext.Types.Peer { Principal = "spiffe://cluster.local/ns/shop/sa/reports" },
                Request = new AttributeContext.Types.Request { Time = Timestamp.FromDateTime(DateTime.UtcNow), Http = http },
            },
        };
    }

    public static CheckRequest Check(string method, string path, string account) =>
        Check(method, path, new Dictionary<string, string> { ["x-quota-account"] = account });

    public static RateLimitRequest RateLimit(uint hitsAddend, params (string Key, string Value)[][] descriptors)
    {
        var request = new RateLimitRequest { Domain = "quota", HitsAddend = hitsAddend };
        foreach (var entries in descriptors)
        {
            var descriptor = new RateLimitDescriptor();
            foreach (var (key, value) in entries)
            {
                descriptor.Entries.Add(new RateLimitDescriptor.Types.Entry { Key = key, Value = value });
            }

            request.Descriptors.Add(descriptor);
        }

        return request;
    }
}
