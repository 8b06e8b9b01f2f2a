using System.Globalization;

namespace Kiln.Server.Core;

/// <summary>The <c>user_id</c> claim of a user token: <c>{numeric id}@kiln.local</c>.</summary>
public static class UserIds
{
    public const string Suffix = "@kiln.local";

    /// <summary>The client id of user tokens: the kiln CLI signs in with the device flow under it.</summary>
    public const string CliClientId = "kiln-cli";

    public static string Format(long userId) => userId.ToString(CultureInfo.InvariantCulture) + Suffix;

    public static bool TryParse(string? userId, out long id)
    {
        id = 0;
        return userId is not null && userId.EndsWith(Suffix, StringComparison.Ordinal)
            && long.TryParse(userId.AsSpan(0, userId.Length - Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;
    }

    /// <summary>The user behind a caller, when it is a user token minted by the device flow.</summary>
    public static bool TryGetUser(ImsCaller caller, out long id)
    {
        id = 0;
        return !caller.IsCredential && caller.ClientId == CliClientId && TryParse(caller.UserId, out id);
    }
}
