namespace AmiRotator.Configuration;

/// <summary>The instance tag that opts an instance into nightly backups, written <c>Key=Value</c>.</summary>
internal sealed record BackupTag(string Key, string Value)
{
    public static BackupTag Parse(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new SettingsException($"BACKUP_TAG '{text}' is not Key=Value; expected e.g. 'Backup=true'.");
        }

        var key = text[..eq].Trim();
        var value = text[(eq + 1)..].Trim();
        // EC2 tag keys: 1-128 chars, not starting with 'aws:'; values 0-256 chars. An empty value would match
        // every instance carrying the key, which is rarely meant, so it is refused.
        if (key.Length is 0 or > 128 || key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
        {
            throw new SettingsException($"BACKUP_TAG key '{key}' is invalid; a tag key has 1-128 characters and may not start with 'aws:'.");
        }

        if (value.Length is 0 or > 256 || value.Contains('=', StringComparison.Ordinal))
        {
            throw new SettingsException($"BACKUP_TAG value '{value}' is invalid; expected 1-256 characters without '=', e.g. 'Backup=true'.");
        }

        return new BackupTag(key, value);
    }

    public override string ToString() => $"{Key}={Value}";
}
