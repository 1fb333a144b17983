namespace AmiRotator.Tests.Iam;

internal enum Verdict
{
    Allowed,
    ImplicitDeny,
    ExplicitDeny,
}
