using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patch 11 of test/moto/amirotator_moto.py: AMI name and description limits. [API_CreateImage] Name: "Constraints:
/// 3-128 alphanumeric characters, parentheses (()), square brackets ([]), spaces ( ), periods (.), slashes (/), dashes
/// (-), single quotes ('), at-signs (@), or underscores(_)"; [errors-overview] "InvalidAMIName.Malformed"; EC2's API
/// model bounds Description (ImageDescriptionRequest) to 255 characters, for CreateImage, CopyImage and RegisterImage.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoImageLimitsTests(MotoServer moto) : MotoPatchTests(moto)
{
    public static TheoryData<string> MalformedNames => new()
    {
        "ab",                        // under 3
        new string('a', 129),        // over 128
        "web:20261126T03:00Z",       // colon
        "web#1",
        "web,daily",
        "caf\u00e9-backup",          // not ASCII alphanumeric
        "tab\tname",
    };

    [Theory]
    [MemberData(nameof(MalformedNames))]
    public async Task CreateImage_WithANameOutsideTheConstraints_FailsWithInvalidAmiNameMalformedAndCreatesNothing(string name)
    {
        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());

        await FailsWithAsync("InvalidAMIName.Malformed", () => EastClient.CreateImageAsync(new CreateImageRequest { InstanceId = instanceId, Name = name }));

        Assert.Empty(await OwnImagesAsync(EastClient));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("(web) [daily] 2026.11.26/03-00 o'clock @host_1")]
    public async Task CreateImage_WithEveryAllowedCharacterAndTheShortestName_Succeeds(string name)
    {
        var image = await DescribeImageAsync(EastClient, await CreateImageAsync(Moto, EastClient, East, name));

        Assert.Equal(name, image.Name);
    }

    [Fact]
    public async Task CreateImage_WithA128CharacterNameAnd255CharacterDescription_Succeeds_ButA256CharacterDescriptionFails()
    {
        var name = new string('n', 128);
        var description = new string('d', 255);
        var image = await DescribeImageAsync(EastClient, await CreateImageAsync(Moto, EastClient, East, name, description));
        Assert.Equal((name, description), (image.Name, image.Description));

        var instanceId = await Moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        await FailsWithAsync("InvalidParameterValue", () => EastClient.CreateImageAsync(new CreateImageRequest
        {
            InstanceId = instanceId,
            Name = "long-description",
            Description = new string('d', 256),
        }));
        Assert.Empty(await OwnImagesAsync(EastClient, new Filter("name", ["long-description"])));
    }

    [Fact]
    public async Task CopyImage_WithAMalformedNameALongDescriptionOrNoName_FailsAndCopiesNothing()
    {
        var source = await CreateImageAsync(Moto, EastClient, East, "copy-source");
        CopyImageRequest Copy(string? name, string? description = null) =>
            new() { SourceImageId = source, SourceRegion = East, Name = name, Description = description };

        await FailsWithAsync("InvalidAMIName.Malformed", () => WestClient.CopyImageAsync(Copy("copy:source")));
        await FailsWithAsync("InvalidAMIName.Malformed", () => WestClient.CopyImageAsync(Copy(new string('c', 129))));
        await FailsWithAsync("InvalidParameterValue", () => WestClient.CopyImageAsync(Copy("copy-source", new string('d', 256))));
        await FailsWithAsync("MissingParameter", () => WestClient.CopyImageAsync(Copy(null))); // [API_CopyImage] Name "Required: Yes"
        Assert.Empty(await OwnImagesAsync(WestClient));

        var copy = await WestClient.CopyImageAsync(Copy(new string('c', 128), new string('d', 255)));
        Assert.Equal(new string('c', 128), (await DescribeImageAsync(WestClient, copy.ImageId)).Name);
    }

    // [API_RegisterImage] Name carries the same constraint.
    [Fact]
    public async Task RegisterImage_WithAMalformedName_FailsWithInvalidAmiNameMalformed()
    {
        await FailsWithAsync("InvalidAMIName.Malformed", () => EastClient.RegisterImageAsync(new RegisterImageRequest { Name = "golden|base" }));

        Assert.Empty(await OwnImagesAsync(EastClient));
    }
}
