using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Kiln.Server.Tests.Infrastructure;

/// <summary>
/// Every log line of one Kiln (formatted message, scopes, exception) kept in memory and, when KILN_TEST_LOG_DIR is
/// set (./test.sh sets it), appended to a file there through a buffered writer, for the suite's secret scan.
/// </summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    /// <summary>Where ./test.sh wants every captured log; null outside it.</summary>
    public static string? Dir => Environment.GetEnvironmentVariable("KILN_TEST_LOG_DIR") is { Length: > 0 } d ? d : null;

    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter? _file;
    private readonly Lock _fileLock = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public LogCapture(string name)
    {
        if (Dir is not { } dir) return;
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}.log");
        _file = new StreamWriter(path, append: false, Encoding.UTF8, bufferSize: 64 * 1024) { AutoFlush = false };
    }

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Everything captured so far, one entry per line.</summary>
    public string Text => string.Join('\n', _lines);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    private bool _closed;

    private void Write(string line)
    {
        _lines.Enqueue(line);
        if (_file is null) return;
        lock (_fileLock)
            if (!_closed) _file.WriteLine(line);
    }

    public void Dispose()
    {
        if (_file is null) return;
        lock (_fileLock)
        {
            if (_closed) return;
            _closed = true;
            _file.Dispose();
        }
    }

    /// <summary>
    /// Files for a child process's output in KILN_TEST_LOG_DIR (null when unset): its log (stderr, where KilnProcess
    /// sends every log line) and its stdout, which holds only what Kiln prints on purpose, such as the first-start banner.
    /// </summary>
    public static (StreamWriter Log, StreamWriter Stdout)? ForProcess(string name)
    {
        if (Dir is not { } dir) return null;
        Directory.CreateDirectory(dir);
        var stem = Path.Combine(dir, $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        // Flushed per line: a test may stop or kill the process without disposing it, and a child logs little.
        return (new StreamWriter(stem + ".log", false, Encoding.UTF8) { AutoFlush = true }, new StreamWriter(stem + ".stdout.txt", false, Encoding.UTF8) { AutoFlush = true });
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var sb = new StringBuilder().Append(logLevel).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            owner._scopes.ForEachScope((scope, b) => b.Append(" => ").Append(scope), sb);
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (k, v) in values)
                    if (k != "{OriginalFormat}") sb.Append(" | ").Append(k).Append('=').Append(v);
            if (exception is not null) sb.Append('\n').Append(exception);
            owner.Write(sb.ToString());
        }
    }
}
