namespace Kiln.Server.Users;

/// <summary>A user's role in an org: admins manage members and everything else; developers manage projects and credentials.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Developer = "developer";
}
