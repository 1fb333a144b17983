using System.Globalization;
using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patch 13 of test/moto/amirotator_moto.py: deregistration protection. [API_EnableImageDeregistrationProtection]
/// "When deregistration protection is enabled, the AMI can't be deregistered." WithCooldown: "If true, enforces
/// deregistration protection for 24 hours after deregistration protection is disabled." The error code for a refused
/// DeregisterImage is not documented; the emulator answers OperationNotPermitted [errors-overview], a guess.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoDeregistrationProtectionTests(MotoServer moto) : MotoPatchTests(moto)
{
    // [ami-deregistration-protection] "Deregistration protection is turned off by default on all existing and new AMIs";
    // EC2's describe-images shows it as "disabled".
    [Fact]
    public async Task NewImage_ReportsDeregistrationProtectionDisabled()
    {
        var image = await DescribeImageAsync(EastClient, await CreateImageAsync(Moto, EastClient, East, "unprotected"));

        Assert.Equal("disabled", image.DeregistrationProtection);
    }

    [Fact]
    public async Task Enable_WithoutCooldown_RefusesDeregisterUntilDisabled()
    {
        var imageId = await CreateImageAsync(Moto, EastClient, East, "protected");

        var enabled = await EastClient.EnableImageDeregistrationProtectionAsync(new EnableImageDeregistrationProtectionRequest { ImageId = imageId });

        Assert.Equal("enabled-without-cooldown", enabled.Return); // the AWS CLI example's output
        Assert.Equal("enabled-without-cooldown", (await DescribeImageAsync(EastClient, imageId)).DeregistrationProtection);
        await FailsWithAsync("OperationNotPermitted", () => EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId, DeleteAssociatedSnapshots = true }));
        var image = await DescribeImageAsync(EastClient, imageId);
        Assert.Equal(ImageState.Available, image.State);
        Assert.True(await SnapshotExistsAsync(EastClient, image.BlockDeviceMappings[0].Ebs.SnapshotId));

        var disabled = await EastClient.DisableImageDeregistrationProtectionAsync(new DisableImageDeregistrationProtectionRequest { ImageId = imageId });

        Assert.Equal("disabled", disabled.Return);
        Assert.Equal("disabled", (await DescribeImageAsync(EastClient, imageId)).DeregistrationProtection);
        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId });
        Assert.Empty(await OwnImagesAsync(EastClient));
    }

    // [API_DisableImageDeregistrationProtection] "If you chose to include a 24-hour cooldown period ... when you disable
    // deregistration protection, you won't immediately be able to deregister the AMI."
    [Fact]
    public async Task Enable_WithCooldown_StillRefusesDeregisterRightAfterDisable_AndShowsWhenTheCooldownEnds()
    {
        var imageId = await CreateImageAsync(Moto, EastClient, East, "protected-with-cooldown");
        var enabled = await EastClient.EnableImageDeregistrationProtectionAsync(new EnableImageDeregistrationProtectionRequest { ImageId = imageId, WithCooldown = true });
        Assert.Equal("enabled-with-cooldown", enabled.Return);
        Assert.Equal("enabled-with-cooldown", (await DescribeImageAsync(EastClient, imageId)).DeregistrationProtection);
        await FailsWithAsync("OperationNotPermitted", () => EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId }));

        var before = DateTime.UtcNow;
        await EastClient.DisableImageDeregistrationProtectionAsync(new DisableImageDeregistrationProtectionRequest { ImageId = imageId });

        // During the cooldown EC2 reports "disabled after <time>".
        var shown = (await DescribeImageAsync(EastClient, imageId)).DeregistrationProtection;
        Assert.StartsWith("disabled after ", shown, StringComparison.Ordinal);
        var ends = DateTime.ParseExact(shown["disabled after ".Length..], "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.InRange(ends, before.AddHours(24).AddMinutes(-1), DateTime.UtcNow.AddHours(24).AddMinutes(1));

        await FailsWithAsync("OperationNotPermitted", () => EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId }));
        Assert.Single(await OwnImagesAsync(EastClient));
    }

    [Fact]
    public async Task EnableAndDisable_OfAnUnknownOrDeregisteredImage_FailWithTheAmiErrors()
    {
        await FailsWithAsync("InvalidAMIID.NotFound", () => EastClient.EnableImageDeregistrationProtectionAsync(new EnableImageDeregistrationProtectionRequest { ImageId = "ami-0123456789abcdef0" }));

        var imageId = await CreateImageAsync(Moto, EastClient, East, "gone");
        await EastClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId });

        // [errors-overview] "InvalidAMIID.Unavailable: The specified AMI has been deregistered and is no longer available".
        await FailsWithAsync("InvalidAMIID.Unavailable", () => EastClient.DisableImageDeregistrationProtectionAsync(new DisableImageDeregistrationProtectionRequest { ImageId = imageId }));
    }
}
