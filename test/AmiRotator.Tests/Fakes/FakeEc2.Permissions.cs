using AmiRotator.Ec2;

namespace AmiRotator.Tests.Fakes;

/// <summary>
/// IAM as EC2 applies it, reduced to what the tests need: an action denied in a Region fails every call of it,
/// dry run or not, with UnauthorizedOperation (HTTP 403); a permitted dry run answers DryRunOperation (HTTP 412)
/// and changes nothing [AWSEC2/latest/APIReference/CommonParameters, DryRun; errors-overview].
/// </summary>
internal sealed partial class FakeEc2
{
    private readonly HashSet<(string Region, string Action)> deniedActions = [];

    /// <summary>Makes IAM refuse <paramref name="action"/> (an API action name, e.g. CopyImage) in <paramref name="region"/>.</summary>
    public void Deny(string region, string action)
    {
        lock (gate)
        {
            deniedActions.Add((region, action));
        }
    }

    internal DryRunVerdict DryRun(string region, string action, string subject)
    {
        lock (gate)
        {
            var denied = deniedActions.Contains((region, action));
            calls.Add(new Ec2Call(region, action, subject, denied ? Ec2Errors.Unauthorized : Ec2Errors.DryRunOperation, DryRun: true));
            return denied ? new DryRunVerdict(false, UnauthorizedMessage) : DryRunVerdict.Allow;
        }
    }

    // Only ever called under gate (from Call).
    private void RequireAllowed(string region, string action)
    {
        if (deniedActions.Contains((region, action)))
        {
            throw Error(Ec2Errors.Unauthorized, UnauthorizedMessage);
        }
    }

    private const string UnauthorizedMessage = "You are not authorized to perform this operation. Encoded authorization failure message: fake-encoded-message";
}
