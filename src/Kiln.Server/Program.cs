using Kiln.Server.Hosting;

var app = KilnApp.Build(args);
app.Run();

/// <summary>Entry point; public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
