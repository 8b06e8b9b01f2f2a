using System.Xml.Linq;
using Kiln.Server.Data;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web;

/// <summary>
/// Keeps the ASP.NET Core data-protection keys (which protect the sign-in and anti-forgery cookies) in the
/// database, so that every node behind a load balancer reads the same cookies and restarts keep people signed in.
/// They sit next to the secret-hashing pepper, with the same protection (the database's own).
/// </summary>
public sealed class DbKeyStore(IServiceScopeFactory scopes) : IXmlRepository
{
    private const string Prefix = "dataprotection:";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        return db.ServerSettings.AsNoTracking().Where(s => s.Key.StartsWith(Prefix)).Select(s => s.Value).ToList()
            .Select(v => XElement.Parse(v)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        db.ServerSettings.Add(new ServerSetting { Key = Prefix + friendlyName, Value = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}
