using System.Net;
using System.Text;
using AmiRotator.Ec2;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace AmiRotator.Tests.Ec2;

/// <summary>
/// The clients production builds, for Regions the pinned SDK has never heard of. Requests stop at a recording
/// handler, so what would go on the wire (host and signature scope) is checked without a network.
/// </summary>
public sealed class Ec2ClientFactoryTests
{
    public Ec2ClientFactoryTests()
    {
        // The SDK resolves credentials from the process environment while it builds a client.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");
    }

    [Theory]
    [InlineData("xx-future-7", "ec2.xx-future-7.amazonaws.com")]
    [InlineData("ap-future-9", "ec2.ap-future-9.amazonaws.com")]
    [InlineData("cn-future-2", "ec2.cn-future-2.amazonaws.com.cn")]
    public async Task Create_WhenRegionIsUnknownToTheSdk_SignsForItAndCallsItsEc2Endpoint(string region, string host)
    {
        RequireNoEndpointOverrideInProcessEnvironment();
        using var client = Ec2ClientFactory.Create(region, _ => null);

        var request = await SendOneRequestAsync(client);

        Assert.Equal(region, client.Config.RegionEndpoint.SystemName);
        Assert.Equal(region, client.Config.AuthenticationRegion);
        Assert.Equal($"https://{host}/", client.DetermineServiceOperationEndpoint(new DescribeRegionsRequest()).URL);
        Assert.Equal(host, request.Uri.Host);
        Assert.Contains($"/{region}/ec2/aws4_request", request.Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WhenEndpointIsOverridden_SendsThereSignedForTheUnknownRegion()
    {
        using var client = Ec2ClientFactory.Create("xx-future-7", name => name == "AWS_ENDPOINT_URL" ? "http://127.0.0.1:1" : null);

        var request = await SendOneRequestAsync(client);

        Assert.Equal("xx-future-7", client.Config.AuthenticationRegion);
        Assert.Equal("http://127.0.0.1:1/", request.Uri.ToString());
        Assert.Contains("/xx-future-7/ec2/aws4_request", request.Authorization, StringComparison.Ordinal);
    }

    // The SDK reads AWS_ENDPOINT_URL(_EC2) from the process itself, which would hide the endpoint it derives.
    private static void RequireNoEndpointOverrideInProcessEnvironment() =>
        Assert.True(
            Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") is null && Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_EC2") is null,
            "Unset AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_EC2 to run this test: the SDK would use them instead of the Region's endpoint.");

    private static async Task<RecordedRequest> SendOneRequestAsync(AmazonEC2Client client)
    {
        var handler = new RecordingHandler();
        ((AmazonEC2Config)client.Config).HttpClientFactory = new RecordingHttpClientFactory(handler);

        await client.DescribeRegionsAsync(new DescribeRegionsRequest());

        return Assert.Single(handler.Requests);
    }

    private sealed record RecordedRequest(Uri Uri, string Authorization);

    /// <summary>Records each request and answers it with an empty DescribeRegions response.</summary>
    private sealed class RecordingHandler : HttpMessageHandler
    {
        private const string EmptyDescribeRegions =
            """<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><regionInfo/></DescribeRegionsResponse>""";

        public List<RecordedRequest> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var authorization = request.Headers.TryGetValues("Authorization", out var values) ? string.Join(",", values) : "";
            Requests.Add(new RecordedRequest(request.RequestUri!, authorization));
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(EmptyDescribeRegions, Encoding.UTF8, "text/xml"),
            });
        }
    }

    /// <summary>Hands the SDK an HttpClient over <see cref="RecordingHandler"/> instead of the network.</summary>
    private sealed class RecordingHttpClientFactory(HttpMessageHandler handler) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);
    }
}
