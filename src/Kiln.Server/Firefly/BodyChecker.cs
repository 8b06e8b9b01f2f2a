using System.Globalization;
using System.Text.Json;

namespace Kiln.Server.Firefly;

/// <summary>
/// Reads fields out of a request body the way a lax (pydantic v1) backend does: numeric strings count as
/// integers, null counts as absent, unknown fields are ignored. Collects every error with its <c>loc</c>.
/// </summary>
internal sealed class BodyChecker
{
    public List<ValidationError> Errors { get; } = [];

    public static object[] Loc(object[] parent, object name) => [.. parent, name];

    public void Add(object[] loc, string msg, string type, Dictionary<string, object>? ctx = null) =>
        Errors.Add(new ValidationError(loc, msg, type, ctx));

    public void Missing(object[] loc) => Add(loc, "field required", "value_error.missing");

    /// <summary>The field's value, or null when absent or JSON null.</summary>
    public static JsonElement? Get(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public JsonElement? Object(JsonElement parent, string name, object[] parentLoc, bool required)
    {
        var loc = Loc(parentLoc, name);
        if (Get(parent, name) is not { } v)
        {
            if (required) Missing(loc);
            return null;
        }
        if (v.ValueKind != JsonValueKind.Object)
        {
            Add(loc, "value is not a valid dict", "type_error.dict");
            return null;
        }
        return v;
    }

    public int? Int(JsonElement parent, string name, object[] parentLoc, long? min = null, long? max = null, bool required = false, bool exclusiveMin = false)
    {
        var loc = Loc(parentLoc, name);
        if (Get(parent, name) is not { } v)
        {
            if (required) Missing(loc);
            return null;
        }
        return IntValue(v, loc, min, max, exclusiveMin);
    }

    public int? IntValue(JsonElement v, object[] loc, long? min = null, long? max = null, bool exclusiveMin = false)
    {
        long n;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l)) n = l;
        else if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < 1e15) n = (long)d;
        else if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString()!.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s)) n = s;
        else
        {
            Add(loc, "value is not a valid integer", "type_error.integer");
            return null;
        }
        if (min is { } lo && (exclusiveMin ? n <= lo : n < lo))
        {
            Add(loc, exclusiveMin ? $"ensure this value is greater than {lo}" : $"ensure this value is greater than or equal to {lo}",
                exclusiveMin ? "value_error.number.not_gt" : "value_error.number.not_ge", new() { ["limit_value"] = lo });
            return null;
        }
        if (max is { } hi && n > hi)
        {
            Add(loc, $"ensure this value is less than or equal to {hi}", "value_error.number.not_le", new() { ["limit_value"] = hi });
            return null;
        }
        if (n is < int.MinValue or > int.MaxValue)
        {
            Add(loc, "value is not a valid integer", "type_error.integer");
            return null;
        }
        return (int)n;
    }

    public string? String(JsonElement parent, string name, object[] parentLoc, int min = 0, int max = int.MaxValue, bool required = false)
    {
        var loc = Loc(parentLoc, name);
        if (Get(parent, name) is not { } v)
        {
            if (required) Missing(loc);
            return null;
        }
        return StringValue(v, loc, min, max);
    }

    public string? StringValue(JsonElement v, object[] loc, int min = 0, int max = int.MaxValue)
    {
        if (v.ValueKind != JsonValueKind.String)
        {
            Add(loc, "str type expected", "type_error.str");
            return null;
        }
        var s = v.GetString()!;
        if (s.Length < min)
        {
            Add(loc, $"ensure this value has at least {min} characters", "value_error.any_str.min_length", new() { ["limit_value"] = min });
            return null;
        }
        if (s.Length > max)
        {
            Add(loc, $"ensure this value has at most {max} characters", "value_error.any_str.max_length", new() { ["limit_value"] = max });
            return null;
        }
        return s;
    }

    public bool? Bool(JsonElement parent, string name, object[] parentLoc)
    {
        if (Get(parent, name) is not { } v) return null;
        switch (v.ValueKind)
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String when v.GetString()!.Trim().ToLowerInvariant() is "true" or "1" or "yes" or "on": return true;
            case JsonValueKind.String when v.GetString()!.Trim().ToLowerInvariant() is "false" or "0" or "no" or "off": return false;
            case JsonValueKind.Number when v.TryGetInt32(out var i) && i is 0 or 1: return i == 1;
            default:
                Add(Loc(parentLoc, name), "value could not be parsed to a boolean", "type_error.bool");
                return null;
        }
    }

    public string? Enum(JsonElement parent, string name, object[] parentLoc, string[] values, bool required = false)
    {
        var loc = Loc(parentLoc, name);
        if (Get(parent, name) is not { } v)
        {
            if (required) Missing(loc);
            return null;
        }
        if (v.ValueKind == JsonValueKind.String && values.Contains(v.GetString(), StringComparer.Ordinal)) return v.GetString();
        Add(loc, "value is not a valid enumeration member; permitted: " + string.Join(", ", values.Select(x => $"'{x}'")),
            "type_error.enum", new() { ["enum_values"] = values });
        return null;
    }

    /// <summary>A JSON array with item-count limits; null (and an error) when it is not one.</summary>
    public JsonElement[]? List(JsonElement parent, string name, object[] parentLoc, int min, int max)
    {
        var loc = Loc(parentLoc, name);
        if (Get(parent, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array)
        {
            Add(loc, "value is not a valid list", "type_error.list");
            return null;
        }
        var items = v.EnumerateArray().ToArray();
        if (items.Length < min)
        {
            Add(loc, $"ensure this value has at least {min} items", "value_error.list.min_items", new() { ["limit_value"] = min });
            return null;
        }
        if (items.Length > max)
        {
            Add(loc, $"ensure this value has at most {max} items", "value_error.list.max_items", new() { ["limit_value"] = max });
            return null;
        }
        return items;
    }

    public void NotUnique(object[] loc) => Add(loc, "the list has duplicated items", "value_error.list.unique_items");
}
