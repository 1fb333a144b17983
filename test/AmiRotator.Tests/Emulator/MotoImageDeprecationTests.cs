using System.Globalization;
using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patch 15 of test/moto/amirotator_moto.py: AMI deprecation. [API_EnableImageDeprecation] DeprecateAt: "in UTC ... If
/// you specify a value for seconds, Amazon EC2 rounds the seconds to the nearest minute. You can't specify a date in the
/// past. The upper limit for DeprecateAt is 10 years from now, except for public AMIs, where the upper limit is 2 years
/// from the creation date." [ami-deprecate] "To deprecate an AMI, you must be the owner of the AMI." The error codes for
/// a refused time (InvalidParameterValue) and a caller that doesn't own the AMI (AuthFailure) are not documented:
/// guesses from [errors-overview].
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoImageDeprecationTests(MotoServer moto) : MotoPatchTests(moto)
{
    private const string OtherAccount = "111122223333";

    // [ami-deprecate] "If the AMI is not set to be deprecated, the DeprecationTime field does not appear in the output."
    [Fact]
    public async Task NewImage_HasNoDeprecationTime()
    {
        var image = await DescribeImageAsync(EastClient, await CreateImageAsync(Moto, EastClient, East, "not-deprecated"));

        Assert.Null(image.DeprecationTime);
    }

    // Rounding "to the nearest minute": 29.999 s down, 30 s up. [ami-deprecate] shows the time as
    // "DeprecationTime": "2021-05-10T13:17:12.000Z" (ISO 8601, UTC).
    [Theory]
    [InlineData(29, 999, 0)]
    [InlineData(30, 0, 1)]
    [InlineData(0, 0, 0)]
    public async Task Enable_RoundsTheSecondsToTheNearestMinute_AndDescribeImagesShowsDeprecationTime(int seconds, int milliseconds, int minutesAdded)
    {
        var imageId = await CreateImageAsync(Moto, EastClient, East, "deprecate-me");
        var minute = DateTime.UtcNow.Date.AddDays(3).AddHours(13).AddMinutes(17);

        var enabled = await EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest
        {
            ImageId = imageId,
            DeprecateAt = minute.AddSeconds(seconds).AddMilliseconds(milliseconds),
        });

        Assert.True(enabled.Return);
        var shown = (await DescribeImageAsync(EastClient, imageId)).DeprecationTime;
        Assert.Equal(minute.AddMinutes(minutesAdded).ToString("yyyy-MM-dd'T'HH:mm:ss'.000Z'", CultureInfo.InvariantCulture), shown);
        var parsed = DateTime.Parse(shown, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.Equal(DateTimeKind.Utc, parsed.Kind);
    }

    // [ami-deprecate] Cancel: "removes the date and time from ... the DeprecationTime field"; AMI owners "continue to see
    // deprecated AMIs in DescribeImages".
    [Fact]
    public async Task Disable_RemovesTheDeprecationTime_AndEnableAgainReplacesIt()
    {
        var imageId = await CreateImageAsync(Moto, EastClient, East, "deprecate-then-cancel");
        await EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = imageId, DeprecateAt = DateTime.UtcNow.AddDays(1) });
        var later = DateTime.UtcNow.Date.AddDays(40);
        await EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = imageId, DeprecateAt = later });
        Assert.Equal(later.ToString("yyyy-MM-dd'T'00:00:00'.000Z'", CultureInfo.InvariantCulture), (await DescribeImageAsync(EastClient, imageId)).DeprecationTime);

        var disabled = await EastClient.DisableImageDeprecationAsync(new DisableImageDeprecationRequest { ImageId = imageId });

        Assert.True(disabled.Return);
        Assert.Null((await DescribeImageAsync(EastClient, imageId)).DeprecationTime);
        Assert.Single(await OwnImagesAsync(EastClient));
        Assert.True((await EastClient.DisableImageDeprecationAsync(new DisableImageDeprecationRequest { ImageId = imageId })).Return); // no-op
    }

    // "You can't specify a date in the past. The upper limit for DeprecateAt is 10 years from now".
    [Fact]
    public async Task Enable_InThePastOrMoreThanTenYearsAhead_FailsAndLeavesTheImageAsItWas()
    {
        var imageId = await CreateImageAsync(Moto, EastClient, East, "limits");

        await FailsWithAsync("InvalidParameterValue", () => EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = imageId, DeprecateAt = DateTime.UtcNow.AddMinutes(-5) }));
        await FailsWithAsync("InvalidParameterValue", () => EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = imageId, DeprecateAt = DateTime.UtcNow.AddYears(10).AddDays(2) }));
        Assert.Null((await DescribeImageAsync(EastClient, imageId)).DeprecationTime);

        var almostTenYears = DateTime.UtcNow.AddYears(10).AddDays(-2);
        Assert.True((await EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = imageId, DeprecateAt = almostTenYears })).Return);
        Assert.NotNull((await DescribeImageAsync(EastClient, imageId)).DeprecationTime);
    }

    // "... except for public AMIs, where the upper limit is 2 years from the creation date."
    [Fact]
    public async Task Enable_OnAPublicImage_AllowsAtMostTwoYearsFromItsCreation()
    {
        var imageId = await CreateImageAsync(Moto, EastClient, East, "public-image");
        await EastClient.ModifyImageAttributeAsync(new ModifyImageAttributeRequest
        {
            ImageId = imageId,
            LaunchPermission = new LaunchPermissionModifications { Add = [new LaunchPermission { Group = PermissionGroup.All }] },
        });

        await FailsWithAsync("InvalidParameterValue", () => EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = imageId, DeprecateAt = DateTime.UtcNow.AddYears(3) }));

        Assert.True((await EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = imageId, DeprecateAt = DateTime.UtcNow.AddYears(1) })).Return);
    }

    // [ami-deprecate] "To deprecate an AMI, you must be the owner of the AMI." An account the AMI is shared with can see it
    // but not deprecate it (or cancel its deprecation).
    [Fact]
    public async Task EnableAndDisable_ByAnAccountTheImageIsSharedWith_FailWithAuthFailure()
    {
        var imageId = await CreateImageAsync(Moto, EastClient, East, "shared-image");
        await EastClient.ModifyImageAttributeAsync(new ModifyImageAttributeRequest
        {
            ImageId = imageId,
            LaunchPermission = new LaunchPermissionModifications { Add = [new LaunchPermission { UserId = OtherAccount }] },
        });
        using var other = Moto.ClientForAccount(East, OtherAccount);

        await RefusedWithAuthFailureAsync(() => other.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = imageId, DeprecateAt = DateTime.UtcNow.AddDays(7) }));
        await RefusedWithAuthFailureAsync(() => other.DisableImageDeprecationAsync(new DisableImageDeprecationRequest { ImageId = imageId }));

        Assert.Null((await DescribeImageAsync(EastClient, imageId)).DeprecationTime);
    }

    [Fact]
    public async Task EnableAndDisable_OfAnUnknownOrDeregisteredImage_FailWithTheAmiErrors()
    {
        await FailsWithAsync("InvalidAMIID.NotFound", () => EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = "ami-0123456789abcdef0", DeprecateAt = DateTime.UtcNow.AddDays(1) }));
        var imageId = await CreateImageAsync(Moto, EastClient, East, "gone");
        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId });

        await FailsWithAsync("InvalidAMIID.Unavailable", () => EastClient.EnableImageDeprecationAsync(new EnableImageDeprecationRequest { ImageId = imageId, DeprecateAt = DateTime.UtcNow.AddDays(1) }));
        await FailsWithAsync("InvalidAMIID.Unavailable", () => EastClient.DisableImageDeprecationAsync(new DisableImageDeprecationRequest { ImageId = imageId }));
    }

    // moto's service model gives AuthFailure HTTP 401 (EC2 is seen to answer 400 for AMIs): a client error either way.
    private static async Task RefusedWithAuthFailureAsync(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(call);
        Assert.Equal("AuthFailure", error.ErrorCode);
        Assert.Contains("Not authorized for images", error.Message, StringComparison.Ordinal);
        Assert.InRange((int)error.StatusCode, 400, 499);
    }
}
