using System.Reflection;
using System.Runtime.CompilerServices;

namespace Kiln.Client.Tests.Conformance;

/// <summary>
/// The public API of Kiln.Client as sorted text, compared with the committed PublicApi.approved.txt: every change of the
/// surface shows in review. After a deliberate change run with KILN_ACCEPT_PUBLIC_API=1 to rewrite the file (docs/client.md#public-api).
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_API_matches_the_approved_snapshot()
    {
        var actual = PublicApi.Describe(typeof(FireflyClient).Assembly);
        var approvedPath = Path.Combine(SourceDir(), "PublicApi.approved.txt");
        if (Environment.GetEnvironmentVariable("KILN_ACCEPT_PUBLIC_API") == "1") File.WriteAllText(approvedPath, actual);
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (approved == actual) return;
        var a = approved.Split('\n').ToHashSet();
        var b = actual.Split('\n').ToHashSet();
        Assert.Fail("The public API changed. Review, then run with KILN_ACCEPT_PUBLIC_API=1 to approve.\n"
            + string.Join('\n', a.Except(b).Select(l => "- " + l).Concat(b.Except(a).Select(l => "+ " + l))));
    }

    [Fact]
    public void Helpers_are_not_public()
    {
        var api = PublicApi.Describe(typeof(FireflyClient).Assembly);
        Assert.DoesNotContain("SecureFiles", api);
        Assert.DoesNotContain("AsyncPath", api);
        Assert.DoesNotContain("Validator", api);
        // JsonElement stays only where the wire is free-form: project metadata, subscription errors, the workspace download.
        Assert.All(api.Split('\n').Where(l => l.Contains("JsonElement", StringComparison.Ordinal)),
            l => Assert.True(l.Contains("Metadata", StringComparison.Ordinal) || l.Contains("ErrorList", StringComparison.Ordinal) || l.Contains("DownloadWorkspaceAsync", StringComparison.Ordinal), l));
        Assert.DoesNotContain("CancellationToken ct", api); // cancellationToken everywhere
        // A closed set of values is an enum, not a string: a quota's level is QuotaScope, an alignment Horizontal/VerticalAlignment.
        Assert.DoesNotContain("System.String scope,", api);
        Assert.DoesNotContain("System.String Scope {", api);
        Assert.DoesNotContain("System.String? Horizontal", api);
        Assert.DoesNotContain("System.String? Vertical", api);
    }

    private static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(Path.GetDirectoryName(path))!;
}

internal static class PublicApi
{
    private static readonly NullabilityInfoContext Nullability = new();

    public static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var t in assembly.GetExportedTypes())
        {
            var kind = t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct" : t.IsAbstract && t.IsSealed ? "static class"
                : (t.IsAbstract ? "abstract " : t.IsSealed ? "sealed " : "") + (t.GetMethod("<Clone>$") is not null ? "record" : "class");
            var bases = new List<string>();
            if (t.BaseType is { } bt && bt != typeof(object) && bt != typeof(Enum) && bt != typeof(ValueType)) bases.Add(Name(bt));
            bases.AddRange(t.GetInterfaces().Where(i => i.IsPublic && !(t.GetMethod("<Clone>$") is not null && i.Name.StartsWith("IEquatable", StringComparison.Ordinal))).Select(Name).Order(StringComparer.Ordinal));
            var head = $"{kind} {Name(t)}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
            lines.Add(head);
            const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var m in t.GetMembers(flags))
            {
                if (Member(t, m) is { } text) lines.Add(head + " :: " + text);
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines) + "\n";
    }

    private static string? Member(Type t, MemberInfo m)
    {
        if (m.IsDefined(typeof(CompilerGeneratedAttribute))) return null;
        switch (m)
        {
            case FieldInfo f when (f.IsPublic || f.IsFamily) && !f.IsSpecialName:
                return t.IsEnum ? $"{f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}"
                    : $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Name(Nullability.Create(f))} {f.Name}";
            case ConstructorInfo c when (c.IsPublic || c.IsFamily) && !c.IsStatic:
                return $"{(c.IsFamily ? "protected " : "")}ctor({Params(c)})";
            case PropertyInfo p:
                var get = p.GetMethod is { } g && (g.IsPublic || g.IsFamily) ? g : null;
                var set = p.SetMethod is { } s && (s.IsPublic || s.IsFamily) ? s : null;
                if (get is null && set is null) return null;
                if (p.Name == "EqualityContract") return null;
                var init = set?.ReturnParameter.GetRequiredCustomModifiers().Any(x => x.Name == "IsExternalInit") == true;
                return $"{Modifiers(get ?? set!)}{Name(Nullability.Create(p))} {p.Name} {{ {(get is null ? "" : "get; ")}{(set is null ? "" : init ? "init; " : "set; ")}}}";
            case EventInfo e when e.AddMethod is { } add && (add.IsPublic || add.IsFamily):
                return $"event {Name(Nullability.Create(e))} {e.Name}";
            case MethodInfo mi when (mi.IsPublic || mi.IsFamily) && !mi.IsSpecialName:
                if (mi.Name is "<Clone>$" or "PrintMembers" or "Deconstruct" && t.GetMethod("<Clone>$") is not null) return null;
                var generic = mi.IsGenericMethod ? "<" + string.Join(", ", mi.GetGenericArguments().Select(a => a.Name)) + ">" : "";
                return $"{Modifiers(mi)}{Name(Nullability.Create(mi.ReturnParameter))} {mi.Name}{generic}({Params(mi)})";
            case Type nested when nested.IsNestedPublic:
                return null; // listed as a type of its own
            default:
                return null;
        }
    }

    private static string Modifiers(MethodInfo m) =>
        (m.IsFamily ? "protected " : "") + (m.IsStatic ? "static " : m.IsAbstract ? "abstract " : m.IsVirtual && !m.IsFinal
            ? (m.GetBaseDefinition().DeclaringType == m.DeclaringType ? "virtual " : "override ") : "");

    private static string Params(MethodBase m) => string.Join(", ", m.GetParameters().Select(p =>
        (p.IsDefined(typeof(ParamArrayAttribute)) ? "params " : "") + (p.ParameterType.IsByRef ? (p.IsOut ? "out " : "ref ") : "")
        + Name(Nullability.Create(p)) + " " + p.Name
        + (p.HasDefaultValue ? " = " + (p.DefaultValue switch { null => p.ParameterType.IsValueType && Nullable.GetUnderlyingType(p.ParameterType) is null ? "default" : "null", string s => $"\"{s}\"", bool b => b ? "true" : "false", var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) }) : "")));

    /// <summary>A type with its nullable annotations (<c>string?</c>, <c>IReadOnlyList&lt;string&gt;?</c>).</summary>
    private static string Name(NullabilityInfo n)
    {
        var t = n.Type;
        if (t.IsByRef) t = t.GetElementType()!;
        if (Nullable.GetUnderlyingType(t) is { } u) return Name(u) + "?";
        var q = !t.IsValueType && n.ReadState == NullabilityState.Nullable ? "?" : "";
        if (t.IsArray && n.ElementType is { } el) return Name(el) + "[]" + q;
        if (!t.IsGenericType || t.IsGenericParameter) return Name(t) + q;
        var name = Name(t);
        return name[..name.IndexOf('<', StringComparison.Ordinal)] + "<" + string.Join(", ", n.GenericTypeArguments.Select(Name)) + ">" + q;
    }

    private static string Name(Type t)
    {
        if (Nullable.GetUnderlyingType(t) is { } u) return Name(u) + "?";
        if (t.IsArray) return Name(t.GetElementType()!) + "[]";
        if (t.IsGenericParameter) return t.Name;
        var name = t.IsNested ? Name(t.DeclaringType!) + "." + t.Name : (t.Namespace is { } ns ? ns + "." : "") + t.Name;
        if (!t.IsGenericType) return name;
        return name[..name.IndexOf('`', StringComparison.Ordinal)] + "<" + string.Join(", ", t.GetGenericArguments().Select(Name)) + ">";
    }
}
