using GitOpsSec.Diagnostics;
using GitOpsSec.Manifests;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests;

public class ManifestLoaderTests
{
    [Fact]
    public void Folders_are_walked_recursively_with_relative_paths_lines_and_list_items()
    {
        using var dir = new TempDir();
        dir.Write("a/one.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n---\n# second\napiVersion: v1\nkind: Secret\nmetadata:\n  name: two\n  namespace: ns\n");
        dir.Write("b/list.yml", "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: svc}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: cm}\n");
        dir.Write("c/obj.json", "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Namespace\",\n  \"metadata\": {\"name\": \"n\"}\n}\n");
        dir.Write("c/values.yaml", "replicaCount: 3\n");
        dir.Write("README.md", "# not yaml");

        var (objects, host) = Scan.Load(dir.Path);

        Assert.Empty(host.Errors);
        Assert.Equal(
            new[] { "a/one.yaml:1:ConfigMap/default/one", "a/one.yaml:7:Secret/ns/two", "b/list.yml:4:Service/default/svc", "b/list.yml:7:ConfigMap/default/cm", "c/obj.json:1:Namespace/n" },
            objects.Select(o => $"{o.Path}:{o.Line}:{o.Resource}"));
        // Where no deployment unit or kustomization says otherwise, a namespaced object lands where kubectl apply puts it.
        Assert.Equal(new[] { "Default", "Manifest", "Default", "Default", "ClusterScoped" }, objects.Select(o => o.NamespaceOrigin.ToString()));
        Assert.Null(objects[0].DeclaredNamespace);
        Assert.Equal(1, objects[1].DocumentIndex);
    }

    [Fact]
    public void The_object_is_a_walkable_tree_of_dictionaries_arrays_and_typed_scalars()
    {
        using var dir = new TempDir();
        string file = dir.Write("d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 3\n  paused: false\n  template:\n    spec:\n      containers: [{name: a, image: \"1.0\"}]\n");
        var (objects, _) = Scan.Load(file);
        var obj = (System.Collections.IDictionary)Assert.Single(objects).Object;
        var spec = (System.Collections.IDictionary)obj["spec"]!;
        Assert.Equal(3L, spec["replicas"]);
        Assert.Equal(false, spec["paused"]);
        var containers = (object?[])((System.Collections.IDictionary)((System.Collections.IDictionary)spec["template"]!)["spec"]!)["containers"]!;
        Assert.Equal("1.0", ((System.Collections.IDictionary)containers[0]!)["image"]);
    }

    [Fact]
    public void Bad_files_give_stable_errors_and_good_files_beside_them_still_load()
    {
        using var dir = new TempDir();
        dir.Write("good.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\n");
        dir.Write("broken.yaml", "apiVersion: v1\nkind: [oops\n");
        dir.WriteBytes("binary.yaml", new byte[] { 1, 2, 0, 3 });
        dir.WriteBytes("latin1.yaml", new byte[] { (byte)'a', (byte)':', (byte)' ', 0xE9, (byte)'\n' });
        dir.Write("dup.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata: {a: '1'}\ndata: {b: '2'}\n");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "dangling.yaml"), Path.Combine(dir.Path, "missing-target.yaml"));
        var options = new ManifestLoadOptions { Limits = LoadLimits.Default with { MaxFileBytes = 1024 } };
        dir.Write("huge.yaml", "a: " + new string('x', 2048) + "\n");

        var (objects, host) = Scan.Load(dir.Path, options: options);

        Assert.Equal(new[] { "dup", "good" }, objects.Select(o => o.Name).OrderBy(n => n));
        var byId = host.Errors.ToDictionary(e => e.Target!, e => e.ErrorId);
        Assert.Equal(ErrorIds.InvalidYaml, byId["broken.yaml"]);
        Assert.Equal(ErrorIds.BinaryFile, byId["binary.yaml"]);
        Assert.Equal(ErrorIds.InvalidEncoding, byId["latin1.yaml"]);
        Assert.Equal(ErrorIds.DuplicateKey, byId["dup.yaml"]);
        Assert.Equal(ErrorIds.ReadFailed, byId["dangling.yaml"]);
        Assert.Equal(ErrorIds.FileTooLarge, byId["huge.yaml"]);
        Assert.Equal(5, host.Errors.Single(e => e.Target == "dup.yaml").Line);
    }

    [Fact]
    public void A_missing_path_is_an_error()
    {
        var (objects, host) = Scan.Load("/nonexistent/gitopssec/path");
        Assert.Empty(objects);
        Assert.Equal(ErrorIds.PathNotFound, Assert.Single(host.Errors).ErrorId);
    }

    [Fact]
    public void Helm_charts_are_skipped_with_a_warning()
    {
        using var dir = new TempDir();
        dir.Write("chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n");
        dir.Write("chart/templates/d.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n");
        dir.Write("plain.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n");
        var (objects, host) = Scan.Load(dir.Path);
        Assert.Equal("plain", Assert.Single(objects).Name);
        Assert.Empty(host.Errors);
        Assert.Contains(host.Warnings, w => w.Contains("Helm chart", StringComparison.Ordinal));
    }

    [Fact]
    public void Kustomize_overlays_are_rendered_once_and_traced_back_to_their_source_lines()
    {
        if (KustomizeRenderer.Discover() is null)
        {
            return; // covered by the next test's fallback; kubectl is on every build machine of this project
        }
        string repo = Path.Combine(TestPaths.Examples, "insecure-repo");
        var (objects, host) = Scan.Load(repo);
        Assert.Empty(host.Errors);

        var rendered = objects.Where(o => o.Source == "Kustomize").ToList();
        // Cross-check against kubectl kustomize itself: same objects, same names.
        var kubectl = ExternalTool.Run("kubectl", new[] { "kustomize", Path.Combine(repo, "apps/payments/overlays/production") },
            TimeSpan.FromSeconds(60), CancellationToken.None);
        var expectedNames = kubectl.StandardOutput.Split('\n').Where(l => l.StartsWith("  name: ", StringComparison.Ordinal))
            .Select(l => l[8..].Trim()).OrderBy(n => n);
        Assert.Equal(expectedNames, rendered.Select(o => o.Name!).OrderBy(n => n));

        ManifestObject deployment = rendered.Single(o => o.Kind == "Deployment");
        Assert.Equal("prod-payments-api", deployment.Name);
        Assert.Equal("payments-prod", deployment.Namespace);
        Assert.Equal("apps/payments/base/deployment.yaml", deployment.Path);
        Assert.Equal(1, deployment.Line);
        Assert.Equal("apps/payments/overlays/production/kustomization.yaml", deployment.RenderedFrom);
        // The base is not reported a second time on its own, and the patch file is not an object.
        Assert.DoesNotContain(objects, o => o.Source == "File" && o.Path.StartsWith("apps/payments/", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_kustomize_the_files_are_read_raw_with_a_warning()
    {
        string repo = Path.Combine(TestPaths.Examples, "insecure-repo");
        var (objects, host) = Scan.Load(repo, options: new ManifestLoadOptions { DiscoverRenderer = () => null });
        Assert.Empty(host.Errors);
        Assert.Contains(host.Warnings, w => w.Contains("kubectl", StringComparison.Ordinal));
        Assert.All(objects, o => Assert.Equal("File", o.Source));
        Assert.Contains(objects, o => o.Path == "apps/payments/base/deployment.yaml" && o.Name == "payments-api");
    }

    [Fact]
    public void A_failing_kustomization_is_an_error_and_its_resources_are_read_raw()
    {
        if (KustomizeRenderer.Discover() is null)
        {
            return;
        }
        using var dir = new TempDir();
        dir.Write("app/kustomization.yaml", "resources:\n  - deploy.yaml\n  - missing.yaml\n");
        dir.Write("app/deploy.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: raw}\n");
        var (objects, host) = Scan.Load(dir.Path);
        Assert.Equal(ErrorIds.KustomizeFailed, Assert.Single(host.Errors).ErrorId);
        Assert.Equal("raw", Assert.Single(objects).Name);
    }

    [Fact]
    public void A_revision_is_read_from_git_without_touching_the_working_tree()
    {
        using var repo = new GitRepo();
        repo.Write("apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n");
        string first = repo.Commit("first");
        repo.Write("apps/cm.yaml", "# moved down\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\n");
        repo.Write("apps/new.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: added\n");
        repo.Commit("second");
        repo.Git("tag", "v1", first);
        repo.Write("apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: uncommitted\n");

        var (atFirst, h1) = Scan.Load(Path.Combine(repo.Path, "apps"), "v1");
        Assert.Empty(h1.Errors);
        ManifestObject cm = Assert.Single(atFirst);
        Assert.Equal(("first", "cm.yaml", 1, first), (cm.Name, cm.Path, cm.Line, cm.Revision));

        var (atHead, _) = Scan.Load(repo.Path, "HEAD");
        Assert.Equal(new[] { "apps/cm.yaml:3:second", "apps/new.yaml:1:added" }, atHead.Select(o => $"{o.Path}:{o.Line}:{o.Name}"));

        var (working, _) = Scan.Load(repo.Path);
        Assert.Contains(working, o => o.Name == "uncommitted");

        var (deletedFile, h2) = Scan.Load(Path.Combine(repo.Path, "apps", "new.yaml"), first);
        Assert.Empty(deletedFile);
        Assert.Equal(ErrorIds.PathNotFound, Assert.Single(h2.Errors).ErrorId);

        var (none, h3) = Scan.Load(repo.Path, "no-such-branch");
        Assert.Empty(none);
        Assert.Equal(ErrorIds.RevisionNotFound, Assert.Single(h3.Errors).ErrorId);
    }

    [Fact]
    public void A_folder_outside_any_repository_cannot_be_read_at_a_revision()
    {
        using var dir = new TempDir();
        var (objects, host) = Scan.Load(dir.Path, "HEAD");
        Assert.Empty(objects);
        Assert.Equal(ErrorIds.NotARepository, Assert.Single(host.Errors).ErrorId);
    }

    [Fact]
    public void Kustomize_overlays_render_at_a_revision_and_the_temporary_export_is_removed()
    {
        if (KustomizeRenderer.Discover() is null)
        {
            return;
        }
        using var repo = new GitRepo();
        repo.Write("base/kustomization.yaml", "resources: [cm.yaml]\n");
        repo.Write("base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n");
        repo.Write("prod/kustomization.yaml", "namePrefix: prod-\nresources: [../base]\n");
        repo.Commit("kustomize");
        int tempBefore = Directory.GetDirectories(Path.GetTempPath(), "gitopssec-*").Length;
        var (objects, host) = Scan.Load(repo.Path, "HEAD");
        Assert.Empty(host.Errors);
        ManifestObject cm = Assert.Single(objects);
        Assert.Equal(("prod-cm", "base/cm.yaml", "Kustomize"), (cm.Name, cm.Path, cm.Source));
        Assert.Equal(tempBefore, Directory.GetDirectories(Path.GetTempPath(), "gitopssec-*").Length);
    }
}
