namespace Kiln.Server.Core;

/// <summary>
/// What a Console building block answers: a value, or the <see cref="OpError"/> that refused it.
/// <c>if (result.Failed(out var error, out var value)) return error.ToResult();</c> leaves <c>value</c> non-null.
/// </summary>
public sealed class OpResult<T> : Result<T, OpError> where T : notnull
{
    public OpResult(T value) : base(value) { }

    public OpResult(OpError error) : base(error) { }

    public static implicit operator OpResult<T>(T value) => new(value);

    public static implicit operator OpResult<T>(OpError error) => new(error);
}
