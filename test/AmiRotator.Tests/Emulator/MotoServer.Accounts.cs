using Amazon.EC2;
using Amazon.Runtime;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Clients that act as another AWS account: moto's server takes the account from the <c>x-moto-account-id</c> request
/// header (its default account, 123456789012, is the one <see cref="Client"/> uses).
/// </summary>
public sealed partial class MotoServer
{
    /// <summary>moto's default account: the one <see cref="Client"/> acts as.</summary>
    public const string DefaultAccountId = "123456789012";

    /// <summary>
    /// An EC2 client for <paramref name="region"/> that acts as <paramref name="accountId"/> (12 digits). Everything
    /// else is as for <see cref="Client"/>. The caller owns (and disposes) the client.
    /// </summary>
    public AmazonEC2Client ClientForAccount(string region, string accountId)
    {
        var config = new AmazonEC2Config
        {
            ServiceURL = Url.ToString(),
            AuthenticationRegion = region,
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromSeconds(30),
            HttpClientFactory = new AccountHeaderHttpClientFactory(accountId),
        };
        return new AmazonEC2Client(new BasicAWSCredentials("test", "test"), config);
    }

    private sealed class AccountHeaderHttpClientFactory(string accountId) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(new AccountHeaderHandler(accountId, new HttpClientHandler()), disposeHandler: true);

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }

    private sealed class AccountHeaderHandler(string accountId, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation("x-moto-account-id", accountId);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
