using System.Diagnostics.CodeAnalysis;

namespace Kiln.Server.Core;

/// <summary>
/// What a Console building block answers: a value, or the <see cref="OpError"/> that refused it.
/// <c>if (result.Failed(out var error, out var value)) return error.ToResult();</c> leaves <c>value</c> non-null.
/// </summary>
public sealed class OpResult<T> where T : notnull
{
    private readonly T? _value;
    private readonly OpError? _error;

    public OpResult(T value) => _value = value;

    public OpResult(OpError error) => _error = error;

    public static implicit operator OpResult<T>(T value) => new(value);

    public static implicit operator OpResult<T>(OpError error) => new(error);

    public bool Failed([NotNullWhen(true)] out OpError? error, [NotNullWhen(false)] out T? value)
    {
        (error, value) = (_error, _value);
        return error is not null;
    }
}
