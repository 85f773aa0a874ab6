using Router.Actors.Observability.Tracking;
using Router.Tests.Spool;
using Xunit;

namespace Router.Tests.Observability;

public sealed class TrackingLogFilesTests : IDisposable
{
    private readonly SpoolTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Files_are_listed_by_number_not_by_name_and_other_files_are_left_out()
    {
        foreach (var name in new[] { "tracking-000010.jsonl", "tracking-000002.jsonl", "tracking-1234567.jsonl", "tracking-x.jsonl", "tracking-000003.log", "other.jsonl" })
        {
            File.WriteAllText(Path.Combine(_directory.Path, name), string.Empty);
        }

        var files = TrackingLogFiles.List(_directory.Path);

        Assert.Equal([2L, 10L, 1234567L], files.Select(f => f.Sequence));
        Assert.Equal(
            ["tracking-000002.jsonl", "tracking-000010.jsonl", "tracking-1234567.jsonl"],
            files.Select(f => Path.GetFileName(f.Path)));
    }

    [Fact]
    public void A_new_file_name_is_listed_back_under_its_number()
    {
        var path = TrackingLogFiles.PathOf(_directory.Path, 7);
        File.WriteAllText(path, string.Empty);

        Assert.Equal("tracking-000007.jsonl", Path.GetFileName(path));
        Assert.Equal([(7L, path)], TrackingLogFiles.List(_directory.Path));
    }
}
