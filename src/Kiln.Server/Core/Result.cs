using System.Diagnostics.CodeAnalysis;

namespace Kiln.Server.Core;

/// <summary>
/// A value, or the failure that refused it: the one mechanism behind <see cref="OpResult{T}"/> (an <see cref="OpError"/>)
/// and Firefly's <c>Checked&lt;T&gt;</c> (a <c>Refusal</c>); see docs/architecture.md#one-failure-model.
/// <c>if (result.Failed(out var error, out var value)) return …;</c> leaves <c>value</c> non-null.
/// </summary>
public abstract class Result<T, TError> where T : notnull where TError : class
{
    private readonly T? _value;
    private readonly TError? _error;

    protected Result(T value) => _value = value;

    protected Result(TError error) => _error = error;

    public bool Failed([NotNullWhen(true)] out TError? error, [NotNullWhen(false)] out T? value)
    {
        (error, value) = (_error, _value);
        return error is not null;
    }
}
