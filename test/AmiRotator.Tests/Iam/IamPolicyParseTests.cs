using Xunit;

namespace AmiRotator.Tests.Iam;

public sealed class IamPolicyParseTests
{
    private static InvalidDataException Refused(string json) => Assert.Throws<InvalidDataException>(() => IamScenario.Parse(json));

    [Fact]
    public void Parse_WhenStatementIsAnObjectWithStrings_ReadsOneStatement()
    {
        var statement = Assert.Single(IamScenario.Parse("""{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*"}}"""));

        Assert.Null(statement.Sid);
        Assert.Equal("Allow", statement.Effect);
        Assert.Equal(["ec2:DescribeImages"], statement.Action);
        Assert.Null(statement.NotAction);
        Assert.Equal(["*"], statement.Resource);
        Assert.Null(statement.NotResource);
        Assert.Empty(statement.Conditions);
    }

    [Fact]
    public void Parse_WhenStatementIsAnArrayWithLists_ReadsEachInOrder()
    {
        var statements = IamScenario.Parse("""
            {"Statement": [
              {"Sid": "A", "Effect": "Allow", "Action": ["ec2:CreateImage", "ec2:CopyImage"], "Resource": [ "arn:aws:ec2:*::image/*", "arn:aws:ec2:*::snapshot/*"]},
              {"Sid": "B", "Effect": "Deny", "NotAction": ["ec2:Describe*"], "NotResource": "arn:aws:ec2:*::image/*"}
            ]}
            """);

        Assert.Equal(["A", "B"], statements.Select(s => s.Sid));
        Assert.Equal(["ec2:CreateImage", "ec2:CopyImage"], statements[0].Action);
        Assert.Equal(["arn:aws:ec2:*::image/*", "arn:aws:ec2:*::snapshot/*"], statements[0].Resource);
        Assert.Equal("Deny", statements[1].Effect);
        Assert.Equal(["ec2:Describe*"], statements[1].NotAction);
        Assert.Equal(["arn:aws:ec2:*::image/*"], statements[1].NotResource);
    }

    [Fact]
    public void Parse_WhenConditionValuesAreScalarsOrArrays_KeepsThemAsStrings()
    {
        var statement = Assert.Single(IamScenario.Parse("""
            {"Statement": {"Effect": "Allow", "Action": "ec2:LockSnapshot", "Resource": "*", "Condition": {
              "StringEquals": {"aws:RequestTag/ami-rotator:managed": "true", "ec2:Owner": ["123456789012", "amazon"]},
              "NumericLessThanEquals": {"ec2:SnapshotLockDuration": 5},
              "Bool": {"aws:ViaAWSService": false},
              "ForAnyValue:StringEquals": {"aws:CalledVia": ["ec2-images.amazonaws.com", 1.5, true]}
            }}}
            """));

        Assert.Equal(
            [
                new IamCondition("StringEquals", "aws:RequestTag/ami-rotator:managed", ["true"]),
                new IamCondition("StringEquals", "ec2:Owner", ["123456789012", "amazon"]),
                new IamCondition("NumericLessThanEquals", "ec2:SnapshotLockDuration", ["5"]),
                new IamCondition("Bool", "aws:ViaAWSService", ["false"]),
                new IamCondition("ForAnyValue:StringEquals", "aws:CalledVia", ["ec2-images.amazonaws.com", "1.5", "true"]),
            ],
            statement.Conditions,
            new ConditionComparer());
    }

    [Theory]
    [InlineData("""{"Statement": {"Action": "ec2:DescribeImages", "Resource": "*"}}""", "no Effect")]
    [InlineData("""{"Statement": {"Effect": "allow", "Action": "ec2:DescribeImages", "Resource": "*"}}""", "Allow or Deny")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:DescribeImages", "NotAction": "ec2:CreateImage", "Resource": "*"}}""", "exactly one of Action and NotAction")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Resource": "*"}}""", "exactly one of Action and NotAction")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*", "NotResource": "*"}}""", "exactly one of Resource and NotResource")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:DescribeImages"}}""", "exactly one of Resource and NotResource")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}}""", "at least one")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2CreateImage", "Resource": "*"}}""", "not an action")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec*:CreateImage", "Resource": "*"}}""", "not an action")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:CreateImage", "Resource": "arn:aws:ec2:*"}}""", "all six parts")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:CreateImage", "Resource": "image/*"}}""", "all six parts")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:CreateImage", "Resource": "*", "Principal": "*"}}""", "'Principal'")]
    [InlineData("""{"Statement": [{"Sid": "X", "Effect": "Allow", "Action": "ec2:A", "Resource": "*"}, {"Sid": "X", "Effect": "Deny", "Action": "ec2:B", "Resource": "*"}]}""", "Sid is used twice")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": 5, "Resource": "*"}}""", "must be a string")]
    [InlineData("""{"Version": "2012-10-17"}""", "no Statement")]
    [InlineData("""{"Statement": "Allow everything"}""", "object or an array")]
    [InlineData("""[{"Effect": "Allow"}]""", "JSON object")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"StringEqualz": {"ec2:Owner": "amazon"}}}}""", "Unknown condition operator")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"Bool": {"aws:ViaAWSService": "yes"}}}}""", "not a Bool")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"Null": {"aws:CalledVia": "maybe"}}}}""", "not a Bool")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"NumericLessThan": {"ec2:VolumeSize": "big"}}}}""", "not a number")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:ec2:*"}}}}""", "all six parts")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"StringEquals": {"ec2:Owner": []}}}}""", "lists no values")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"StringEquals": {"ec2:Owner": null}}}}""", "must be a string")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"StringEquals": "ec2:Owner"}}}""", "must map keys to values")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "ec2:A", "Resource": "*"}}""", "names 'Effect' twice")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"Bool": {"aws:ViaAWSService": "true"}, "Bool": {"aws:ViaAWSService": "false"}}}}""", "names 'Bool' twice")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"StringEquals": {"ec2:Owner": "a", "EC2:owner": "b"}}}}""", "names 'EC2:owner' twice")]
    public void Parse_WhenMalformed_ThrowsSayingWhy(string json, string reason)
    {
        Assert.Contains(reason, Refused(json).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ec2:*::image/*"}}}""", "Fn::Sub")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": ["*", {"Fn::GetAtt": ["Key", "Arn"]}]}}""", "Fn::GetAtt")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"StringEquals": {"ec2:Owner": {"Ref": "AWS::AccountId"}}}}}""", "Ref")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"StringEquals": {"ec2:Owner": [{"Ref": "AWS::AccountId"}]}}}}""", "Ref")]
    [InlineData("""{"Statement": [{"Fn::If": ["IsDr", {"Effect": "Allow", "Action": "ec2:A", "Resource": "*"}, {"Ref": "AWS::NoValue"}]}]}""", "Fn::If")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"Fn::If": ["IsDr", {}, {}]}}}""", "Fn::If")]
    public void Parse_WhenAnIntrinsicIsUnresolved_ThrowsNamingIt(string json, string intrinsic)
    {
        var e = Refused(json);

        Assert.Contains("unresolved CloudFormation intrinsic", e.Message, StringComparison.Ordinal);
        Assert.Contains(intrinsic, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "arn:${AWS::Partition}:ec2:*::image/*"}}""")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "arn:aws:ssm:*:*:parameter/${aws:username}"}}""")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"StringEquals": {"ec2:Owner": "${aws:PrincipalAccount}"}}}}""")]
    [InlineData("""{"Statement": {"Effect": "Allow", "Action": "ec2:A", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestTag/${aws:username}": "x"}}}}""")]
    public void Parse_WhenAPolicyVariableOrSubRemains_Throws(string json)
    {
        Assert.Contains("policy variable", Refused(json).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenTwoPoliciesReuseASid_AcceptsTheirStatementsTogether()
    {
        var first = IamScenario.Parse("""{"Statement": {"Sid": "Read", "Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*"}}""");
        var second = IamScenario.Parse("""{"Statement": {"Sid": "Read", "Effect": "Allow", "Action": "ec2:DescribeSnapshots", "Resource": "*"}}""");

        IamPolicy.Validate([.. first, .. second]);
    }

    [Fact]
    public void Validate_WhenStatementsAreBuiltDirectly_AppliesTheSameRules()
    {
        var both = new IamStatement(null, "Allow", ["ec2:A"], ["ec2:B"], ["*"], null, []);
        var unknownOperator = IamScenario.Direct("Allow", "ec2:A", "*", new IamCondition("StringEqualz", "ec2:Owner", ["amazon"]));

        Assert.Throws<InvalidDataException>(() => IamPolicy.Validate([both]));
        Assert.Throws<InvalidDataException>(() => IamPolicy.Validate([unknownOperator]));
        IamPolicy.Validate([IamScenario.Direct("Deny", "*", "*")]);
    }

    private sealed class ConditionComparer : IEqualityComparer<IamCondition>
    {
        public bool Equals(IamCondition? x, IamCondition? y) =>
            x is not null && y is not null && x.Operator == y.Operator && x.Key == y.Key && x.Values.SequenceEqual(y.Values);

        public int GetHashCode(IamCondition obj) => HashCode.Combine(obj.Operator, obj.Key);
    }
}
