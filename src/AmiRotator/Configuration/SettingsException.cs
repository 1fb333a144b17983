namespace AmiRotator.Configuration;

/// <summary>A setting is wrong. Raised during init, before any EC2 call, and reported as an init error.</summary>
internal sealed class SettingsException(string message) : Exception(message);
