using Amazon;
using Amazon.EC2;
using Amazon.Runtime;

namespace AmiRotator.Ec2;

/// <summary>
/// Builds one EC2 client per Region, once per init. With an endpoint override (AWS_ENDPOINT_URL_EC2 or
/// AWS_ENDPOINT_URL) the SDK would sign every request for us-east-1, so each client signs for its own Region.
/// The SDK does not retry: <see cref="Ec2Calls"/> does, per call and bounded by the Lambda deadline (its comment
/// says why). Two layers of retries would multiply each other's attempts and hide the ones we log.
/// </summary>
internal static class Ec2ClientFactory
{
    public static AmazonEC2Client Create(string region, Func<string, string?> env)
    {
        var config = new AmazonEC2Config
        {
            // A Region newer than the SDK still works: the SDK places an unknown name in the partition whose
            // naming pattern it matches (else aws) and derives ec2.<region>.<partition's domain> from that.
            RegionEndpoint = RegionEndpoint.GetBySystemName(region),
            AuthenticationRegion = region,
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = 0,
            // The SDK also re-sends, at once and uncounted, a request whose connection closed without an answer (10
            // times by default). That replays mutations the proxy tests saw EC2 perform, and hides them from our log.
            MaxStaleConnectionRetries = 0,
            // A call whose answer has not come in 30 s is retried by Ec2Calls; EC2 answers in well under a second.
            Timeout = TimeSpan.FromSeconds(30),
        };

        var endpoint = Endpoint(env);
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
        }

        return new AmazonEC2Client(config);
    }

    /// <summary>The endpoint override the SDK documents, service-specific first.</summary>
    public static string? Endpoint(Func<string, string?> env)
    {
        var specific = env("AWS_ENDPOINT_URL_EC2");
        if (!string.IsNullOrWhiteSpace(specific))
        {
            return specific.Trim();
        }

        var general = env("AWS_ENDPOINT_URL");
        return string.IsNullOrWhiteSpace(general) ? null : general.Trim();
    }
}
