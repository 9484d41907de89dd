// The load tool's process types (ChildProcess, RedisServer, FreePort, Wait) moved to tests/QuotaSidecar.Testing
// (namespace QuotaSidecar.Testing.Processes, imported for the whole project in the .csproj). This empty namespace
// keeps files that still import the old one compiling (the soak mode, Soak/); delete it with those usings.
namespace QuotaSidecar.LoadTest.Processes;
