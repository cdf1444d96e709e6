using GitOpsSec.Manifests;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>
/// A field path is built by appending to a shared parent (paths of one pod share their prefix), and read back as
/// segments, text and a place in a tree. Whatever order paths are built and read in, each reads as the segments
/// appended to make it, never a sibling's.
/// </summary>
public sealed class FieldPathTests
{
    [Fact]
    public void Paths_built_from_shared_prefixes_read_back_as_their_own_segments_in_any_order()
    {
        var random = new Random(23);
        var made = new List<(FieldPath Path, List<FieldPath.Segment> Expected)> { (FieldPath.Root, new List<FieldPath.Segment>()) };
        for (int i = 0; i < 5000; i++)
        {
            var (parent, expected) = made[random.Next(made.Count)];
            if (random.Next(4) == 0)
            {
                _ = parent.Segments; // read a prefix before or after its children are made
            }
            FieldPath child;
            FieldPath.Segment segment;
            if (random.Next(3) == 0)
            {
                int index = random.Next(5);
                YMapping? item = random.Next(2) == 0 ? null : Item($"c{index}");
                child = parent.Item(index, item);
                segment = new FieldPath.Segment(null, index, item is null ? null : $"c{index}");
            }
            else
            {
                string key = "k" + random.Next(6);
                child = parent.Key(key);
                segment = new FieldPath.Segment(key, -1, null);
            }
            made.Add((child, expected.Append(segment).ToList()));
        }
        foreach (var (path, expected) in made.OrderBy(_ => random.Next()))
        {
            Assert.Equal(expected, path.Segments);
            Assert.Equal(Text(expected), path.ToString());
        }
        Assert.Contains(made, m => m.Expected.Count >= 8);
    }

    /// <summary>A path read lets go of its parent for its own segments; threads reading a family of paths at once all read them right.</summary>
    [Fact]
    public void Paths_read_from_many_threads_at_once_read_back_as_their_own_segments()
    {
        for (int round = 0; round < 20; round++)
        {
            var made = new List<(FieldPath Path, string Expected)> { (FieldPath.Root, string.Empty) };
            var random = new Random(round);
            for (int i = 0; i < 2000; i++)
            {
                var (parent, expected) = made[random.Next(Math.Min(made.Count, 1 + i / 4))]; // deep chains
                string key = "k" + i;
                made.Add((parent.Key(key), expected.Length == 0 ? key : expected + "." + key));
            }
            var shuffled = made.OrderBy(_ => random.Next()).ToList();
            Parallel.For(0, 4, t =>
            {
                foreach (var (path, expected) in t % 2 == 0 ? shuffled : Enumerable.Reverse(shuffled))
                {
                    Assert.Equal(expected, path.ToString());
                }
            });
        }
    }

    [Fact]
    public void A_path_names_list_items_and_finds_the_line_it_points_at()
    {
        using var dir = new TempDir();
        var (objects, host) = Scan.Load(WriteWorkload(dir));
        Assert.Empty(host.Errors);
        YMapping node = objects.Single().Node;
        FieldPath containers = FieldPath.Root.Keys("spec", "template", "spec", "containers");
        YNode web = node.Map("spec")!.Map("template")!.Map("spec")!.Seq("containers")!.Items[1];
        FieldPath privileged = containers.Item(1, web).Keys("securityContext", "privileged");
        Assert.Equal("spec.template.spec.containers[web].securityContext.privileged", privileged.ToString());
        Assert.True(privileged.TryLocate(node, out YNode at));
        Assert.Equal(14, at.Line); // the privileged: key of the second container
        Assert.False(containers.Item(0, null).Keys("securityContext").TryLocate(node, out YNode deepest));
        Assert.Equal(9, deepest.Line); // the first container, which has no securityContext
        Assert.Equal("spec.template.spec.containers[0].securityContext", containers.Item(0, null).Key("securityContext").ToString());
    }

    private static string WriteWorkload(TempDir dir)
    {
        return dir.Write("deploy.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app, namespace: ns}
            spec:
              selector: {matchLabels: {app: app}}
              template:
                spec:
                  containers:
                    - name: sidecar
                      image: sidecar:1
                    - name: web
                      image: web:1
                      securityContext:
                        privileged: true
            """);
    }

    private static YMapping Item(string name)
    {
        var map = new YMapping(1, 1);
        map.Set(new YScalar("name", true, null, 1, 1), new YScalar(name, true, null, 1, 7));
        return map;
    }

    private static string Text(List<FieldPath.Segment> segments)
    {
        var parts = new List<string>();
        foreach (var s in segments)
        {
            if (s.Key is not null)
            {
                parts.Add((parts.Count > 0 ? "." : string.Empty) + s.Key);
            }
            else
            {
                parts.Add("[" + (s.Name ?? s.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)) + "]");
            }
        }
        return string.Concat(parts);
    }
}
