using System.Management.Automation;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>The corpus of tests/data/hostile/make-hostile.py, generated once for the class (pipes, symlinks and repositories cannot live in git).</summary>
public sealed class HostileCorpus : IDisposable
{
    public HostileCorpus()
    {
        Root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gos-hostile-" + Guid.NewGuid().ToString("N")[..8]);
        Proc.Check("python3", new[] { System.IO.Path.Combine(TestPaths.RepoRoot, "tests", "data", "hostile", "make-hostile.py"), Root }, TestPaths.RepoRoot);
    }

    public string Root { get; }
    public string Files => System.IO.Path.Combine(Root, "files");
    public string Repos => System.IO.Path.Combine(Root, "repos");

    public void Dispose()
    {
        try
        {
            File.SetUnixFileMode(System.IO.Path.Combine(Files, "special", "unreadable.yaml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// Every cmdlet that reads files or repositories, run over hostile input: YAML bombs, bad encodings, NUL
/// bytes, CR and CRLF, a 12 MB file and a 9 MB line, symlink loops and symlinks out of the tree, a named
/// pipe, odd file names, LFS pointers; corrupt, shallow, bare, submodule and LFS repositories. Each run is
/// bounded in time, never throws, reports each bad item with a stable GitOpsSec.* error id, still
/// processes the good items next to them, and never reads what lies outside the scanned folder.
/// </summary>
public class HostileInputTests : IClassFixture<HostileCorpus>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    private readonly HostileCorpus _corpus;

    public HostileInputTests(HostileCorpus corpus) => _corpus = corpus;

    private static string Names(PipelineResult r) => string.Join("\n", r.Output.Select(o => o.ToString()));

    private static void AssertStableIdsAndNothingFromOutside(PipelineResult r)
    {
        Assert.All(r.ErrorIds, id => Assert.StartsWith("GitOpsSec.", id, StringComparison.Ordinal));
        foreach (PSObject o in r.Output)
        {
            string text = o.BaseObject is string s ? s : string.Join(" ", o.Properties.Select(p => { try { return p.Value?.ToString(); } catch (GetValueException) { return null; } }));
            Assert.DoesNotContain("outside-secret", text, StringComparison.Ordinal);
            Assert.DoesNotContain("outside-app", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Get_GitOpsManifest_reports_each_bad_file_once_with_its_id_and_reads_every_good_one()
    {
        using var session = new PowerShellSession();
        var r = session.RunBounded(Limit, "Get-GitOpsManifest -LiteralPath $args[0] | ForEach-Object Name", _corpus.Files);
        AssertStableIdsAndNothingFromOutside(r);
        var names = r.Output.Select(o => (string)o.BaseObject).ToHashSet();
        foreach (string good in new[] { "good-app", "good-config", "secret-reader", "ci-reads-secrets", "default-deny", "crlf-app", "cr-app", "bom-app",
                     "utf16-app", "spaced-app", "unicode-app", "newline-app", "dash-app", "hidden-app", "long-line" })
        {
            Assert.Contains(good, names);
        }
        var byTarget = r.Errors.GroupBy(e => e.TargetObject?.ToString() ?? string.Empty).ToDictionary(g => g.Key, g => g.Select(e => e.FullyQualifiedErrorId.Split(',')[0]).ToList());
        var expected = new Dictionary<string, string>
        {
            ["bombs/billion-laughs.yaml"] = "GitOpsSec.Manifest.AliasLimitExceeded",
            ["bombs/deep-nesting.yaml"] = "GitOpsSec.Manifest.NestingTooDeep",
            ["bombs/deep-block-nesting.yaml"] = "GitOpsSec.Manifest.NestingTooDeep",
            ["bombs/many-documents.yaml"] = "GitOpsSec.Manifest.TooManyDocuments",
            ["large/over-limit.yaml"] = "GitOpsSec.Manifest.FileTooLarge",
            ["encoding/nul-bytes.yaml"] = "GitOpsSec.Manifest.BinaryFile",
            ["encoding/invalid-utf8.yaml"] = "GitOpsSec.Manifest.InvalidEncoding",
            ["encoding/tabs-and-junk.yaml"] = "GitOpsSec.Manifest.InvalidYaml",
            ["encoding/duplicate-keys.yaml"] = "GitOpsSec.Manifest.DuplicateKey",
            ["links/to-outside-file.yaml"] = "GitOpsSec.Manifest.OutsideRoot",
            ["links/relative-escape.yaml"] = "GitOpsSec.Manifest.OutsideRoot",
            ["../outside/dir/outside-deploy.yaml"] = "GitOpsSec.Manifest.OutsideRoot", // a kustomization's resource outside the tree
            ["links/loop-a.yaml"] = "GitOpsSec.Manifest.ReadFailed",
            ["links/loop-b.yaml"] = "GitOpsSec.Manifest.ReadFailed",
            ["links/dangling.yaml"] = "GitOpsSec.Manifest.ReadFailed",
        };
        foreach (var (target, id) in expected)
        {
            Assert.True(byTarget.TryGetValue(target, out var ids), $"no error for {target}");
            Assert.Equal(new[] { id }, ids);
        }
        // The pipe, the LFS pointers, the empty and the separator-only files are not errors, and not objects.
        Assert.DoesNotContain(byTarget.Keys, k => k.StartsWith("special/", StringComparison.Ordinal) || k.StartsWith("lfs/", StringComparison.Ordinal));
    }

    [Fact]
    public void Test_GitOpsManifest_finds_the_good_files_findings_at_the_right_lines_whatever_the_line_endings()
    {
        using var session = new PowerShellSession();
        var r = session.RunBounded(Limit, "Test-GitOpsManifest -LiteralPath $args[0] -Rule GOS1003", _corpus.Files);
        AssertStableIdsAndNothingFromOutside(r);
        var findings = r.Findings().ToDictionary(f => f.Path!, f => f.Line);
        foreach (string file in new[] { "good/deployment.yaml", "encoding/crlf.yaml", "encoding/cr-only.yaml", "encoding/utf8-bom.yaml", "encoding/utf16-bom.yaml", "names/with spaces.yaml", "names/new\nline.yaml" })
        {
            Assert.True(findings.TryGetValue(file, out int line), $"no GOS1003 finding in {file}");
            Assert.Equal(18, line); // privileged: true is on line 18 of every generated Deployment
        }
    }

    [Fact]
    public void Find_GitOpsSecret_finds_the_planted_token_and_nothing_through_links_or_the_pipe()
    {
        using var session = new PowerShellSession();
        var r = session.RunBounded(Limit, "Find-GitOpsSecret -Path $args[0]", _corpus.Files);
        AssertStableIdsAndNothingFromOutside(r);
        var found = r.Output.Select(o => $"{o.Properties["RuleId"].Value} {o.Properties["Path"].Value}").ToList();
        Assert.Equal(new[] { "GOS2110 good/config.yaml" }, found);
        Assert.Contains("GitOpsSec.Secrets.InvalidEncoding", r.ErrorIds);
        Assert.Contains("GitOpsSec.Secrets.FileTooLarge", r.ErrorIds);
        Assert.DoesNotContain(r.Output, o => o.Properties["Redacted"].Value?.ToString()?.Length > 12 && !o.Properties["Redacted"].Value!.ToString()!.Contains('*'));
    }

    [Fact]
    public void The_secrets_verb_of_the_host_scans_the_hostile_tree_and_exits_with_the_policy_code()
    {
        // Without PowerShell: the verb CI hooks call. The planted token is High: --fail-on High exits 3.
        var (exit, output, error) = HostAndScriptTests.RunHost("secrets", "--json", "--fail-on", "High", _corpus.Files);
        Assert.Equal(3, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var finding = System.Text.Json.JsonDocument.Parse(Assert.Single(lines)).RootElement;
        Assert.Equal("good/config.yaml", finding.GetProperty("Path").GetString());
        Assert.DoesNotContain("outside", output, StringComparison.Ordinal);
        Assert.Contains("GitOpsSec.Secrets.FileTooLarge", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_file_is_a_ReadFailed_error_and_the_files_next_to_it_are_read()
    {
        // Mode 000 stops every user but root; as root the host runs as nobody (setpriv), as CI does here.
        string home = Path.Combine(_corpus.Root, "home");
        Directory.CreateDirectory(home);
        File.SetUnixFileMode(home, (UnixFileMode)0b111_111_111);
        string script = "Get-GitOpsManifest -Path $env:GOS_SPECIAL, $env:GOS_GOOD -ErrorVariable e -ErrorAction SilentlyContinue | ForEach-Object { 'object ' + $_.Name }; " +
                        "Find-GitOpsSecret -Path $env:GOS_SPECIAL -ErrorVariable s -ErrorAction SilentlyContinue; " +
                        "@($e) + @($s) | ForEach-Object { 'error ' + $_.FullyQualifiedErrorId.Split(',')[0] + ' ' + $_.TargetObject }";
        var env = new Dictionary<string, string>
        {
            ["GOS_SPECIAL"] = Path.Combine(_corpus.Files, "special"),
            ["GOS_GOOD"] = Path.Combine(_corpus.Files, "good"),
            ["HOME"] = home,
            ["DOTNET_CLI_HOME"] = home,
        };
        bool root = Environment.UserName == "root";
        var (exit, output, error) = root
            ? Proc.Run("setpriv", new[] { "--reuid=65534", "--regid=65534", "--clear-groups", HostAndScriptTests.HostExecutable(), script }, TestPaths.RepoRoot, env)
            : Proc.Run(HostAndScriptTests.HostExecutable(), new[] { script }, TestPaths.RepoRoot, env);
        Assert.True(exit == 0, $"exit {exit}: {error}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("error GitOpsSec.Manifest.ReadFailed unreadable.yaml", lines);
        Assert.Contains("error GitOpsSec.Secrets.ReadFailed unreadable.yaml", lines);
        Assert.Contains("object good-app", lines);
        Assert.DoesNotContain("object unreadable-app", lines);
    }

    public static IEnumerable<object[]> KeyAndSideInputs() => new[]
    {
        // Certificates, keys, signer lists, message files, policies and value files that are pipes, binary, huge or full of bombs.
        new object[] { "Get-SealedSecretCertificate -Path $p, $b, $h, ./tests/data/sealed-secrets/test-cert.pem", "GitOpsSec.SealedSecret.InvalidCertificate", 1 },
        new object[] { "Unprotect-SealedSecret -Path ./tests/data/sealed-secrets/socialgouv-strict.json -PrivateKeyPath $p, $b", "GitOpsSec.SealedSecret.InvalidPrivateKey", 0 },
        new object[] { "Update-SealedSecret -Path ./tests/data/sealed-secrets/socialgouv-strict.json -PrivateKeyPath $p -CertificatePath ./tests/data/sealed-secrets/test-cert.pem -WhatIf", "GitOpsSec.SealedSecret.InvalidPrivateKey", 0 },
        new object[] { "Protect-SealedSecretValue -Value x -Name n -Namespace ns -CertificatePath $p", "GitOpsSec.SealedSecret.InvalidCertificate", 0 },
        new object[] { "New-SealedSecretManifest -Name x -Namespace y -FromFile $h -CertificatePath ./tests/data/sealed-secrets/test-cert.pem", "GitOpsSec.SealedSecret.InvalidSecretData", 0 },
        new object[] { "Test-CommitSignature -Path . -MaxCount 2 -AllowedSignersFile $p", "GitOpsSec.Signature.InvalidAllowedSigners", 0 },
        new object[] { "Test-KyvernoPolicy -Path ./examples/hardened-repo -Policy $args[0]", "GitOpsSec.Kyverno.NoPolicy", 0 },
        new object[] { "Test-GitOpsRepo -Path ./examples/hardened-repo -Config $b -NoSecretScan", "GitOpsSec.Config.Invalid", 0 },
    };

    [Theory]
    [MemberData(nameof(KeyAndSideInputs))]
    public void Keys_certificates_and_other_side_inputs_that_are_hostile_are_errors_with_stable_ids(string command, string errorId, int output)
    {
        using var session = new PowerShellSession();
        var r = session.RunBounded(Limit,
            "$p = [IO.Path]::Combine($args[0], 'special/pipe.yaml'); $b = [IO.Path]::Combine($args[0], 'encoding/random-binary.bin'); " +
            "$h = [IO.Path]::Combine($args[0], 'large/over-limit.yaml'); " + command, _corpus.Files);
        Assert.Contains(errorId, r.ErrorIds);
        Assert.All(r.ErrorIds, id => Assert.StartsWith("GitOpsSec.", id, StringComparison.Ordinal));
        Assert.Equal(output, r.Output.Count);
    }

    public static IEnumerable<object[]> FileCommands() => new[]
    {
        new object[] { "Test-GitOpsRepo -LiteralPath $args[0] -FailOn Critical -ErrorAction SilentlyContinue", "GOS1003" },
        new object[] { "Get-GitOpsImage -LiteralPath $args[0]", "registry.example.com/good-app:1.0" },
        new object[] { "Get-NetworkPolicyCoverage -LiteralPath $args[0]", "hostile" },
        new object[] { "Get-RbacExposure -LiteralPath $args[0]", "ci" },
        new object[] { "Test-RbacAccess -LiteralPath $args[0] -Subject system:serviceaccount:hostile:ci -Verb get -Resource secrets | ForEach-Object Allowed", "True" },
        new object[] { "Test-KyvernoPolicy -LiteralPath $args[0] -Policy ./examples/policies/disallow-privileged-containers.yaml | Where-Object Result -eq 'Fail' | ForEach-Object Name", "good-app" },
        new object[] { "Test-AdmissionPolicy -LiteralPath $args[0] -Policy ./examples/admission-policies/policies -IncludePass | ForEach-Object Name", "good-app" },
        new object[] { "Get-GitOpsSecretReference -LiteralPath $args[0]; 'done'", "done" },
        new object[] { "Get-GitOpsConfig -Path $args[0] | ForEach-Object { 'config' }", "config" },
        new object[] { "ConvertTo-SealedSecret -Path ([IO.Path]::Combine($args[0], 'links/to-outside-file.yaml')), ([IO.Path]::Combine($args[0], 'special/pipe.yaml')) -CertificatePath ./tests/data/sealed-secrets/rotated-cert.pem -AsObject; 'done'", "done" },
    };

    [Theory]
    [MemberData(nameof(FileCommands))]
    public void File_reading_cmdlets_finish_report_stable_ids_and_still_process_the_good_items(string script, string expected)
    {
        using var session = new PowerShellSession();
        var r = session.RunBounded(Limit, script, _corpus.Files);
        AssertStableIdsAndNothingFromOutside(r);
        Assert.Contains(expected, Names(r) + "\n" + string.Join("\n", r.Output.Select(o => string.Join(" ", o.Properties.Select(p => { try { return p.Value?.ToString(); } catch (GetValueException) { return null; } })))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_GitOpsDrift_compares_the_good_objects_of_the_hostile_tree_with_a_cluster()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.Serve("apps/v1", "deployments", "Deployment", true);
        server.Serve("v1", "configmaps", "ConfigMap", true);
        server.Add(System.Text.Json.Nodes.JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"good-config","namespace":"hostile"},"data":{"GITHUB_TOKEN":"rotated"}}""")!.AsObject());
        using var dir = new TempDir();
        string kubeconfig = dir.Write("kubeconfig", server.Kubeconfig());
        using var session = new PowerShellSession();
        var r = session.RunBounded(Limit, "Compare-GitOpsDrift -LiteralPath $args[0] -Kubeconfig $args[1] -Namespace hostile | ForEach-Object { \"$($_.Status) $($_.Kind) $($_.Name)\" }", _corpus.Files, kubeconfig);
        AssertStableIdsAndNothingFromOutside(r);
        var lines = r.Output.Select(o => (string)o.BaseObject).ToList();
        Assert.Contains("Changed ConfigMap good-config", lines);
        Assert.Contains("Missing Deployment good-app", lines);
        Assert.Contains("GitOpsSec.Manifest.OutsideRoot", r.ErrorIds);
        // The changed value is a credential: it never appears in the output or the errors.
        Assert.DoesNotContain(r.Output, o => o.ToString()!.Contains("rotated", StringComparison.Ordinal));
    }

    [Fact]
    public void Import_GitOpsVulnerabilityReport_rejects_a_pipe_and_binary_input_and_reads_the_good_report()
    {
        using var session = new PowerShellSession();
        var r = session.RunBounded(Limit, "Import-GitOpsVulnerabilityReport $args[0], $args[1], ./tests/data/vulnerabilities/trivy-web.json -RepositoryPath ./examples/hardened-repo",
            System.IO.Path.Combine(_corpus.Files, "special", "pipe.yaml"), System.IO.Path.Combine(_corpus.Files, "encoding", "nul-bytes.yaml"));
        Assert.Equal(new[] { "GitOpsSec.Vulnerability.UnknownFormat", "GitOpsSec.Vulnerability.UnknownFormat" }, r.ErrorIds);
        Assert.NotEmpty(r.Findings());
    }

    public static IEnumerable<object[]> RepoCommands()
    {
        string[] commands =
        {
            "Test-CommitSignature -Path $args[0] | ForEach-Object Sha",
            "Test-CommitMessage -Path $args[0] | ForEach-Object Sha",
            "Get-GitOpsChangeLog -Path $args[0] | ForEach-Object Commit",
            "Find-GitOpsSecret -Path $args[0] -History | ForEach-Object RuleId",
            "Get-GitOpsManifest -Path $args[0] -Revision HEAD | ForEach-Object Name",
            "Test-GitOpsRepo -Path $args[0] -History -FailOn Critical -ErrorAction SilentlyContinue | ForEach-Object RuleId",
            "Get-GitOpsChangeLog -Path $args[0] | Export-GitOpsAuditLog -Path ([IO.Path]::Combine([IO.Path]::GetTempPath(), 'gos-audit-' + [guid]::NewGuid() + '.jsonl')) | ForEach-Object Name",
        };
        foreach (string repo in new[] { "corrupt", "shallow", "bare.git", "with-submodule", "with-lfs" })
        {
            foreach (string command in commands)
            {
                yield return new object[] { repo, command };
            }
        }
    }

    [Theory]
    [MemberData(nameof(RepoCommands))]
    public void Repository_cmdlets_finish_on_broken_and_unusual_repositories(string repo, string script)
    {
        using var session = new PowerShellSession();
        var r = session.RunBounded(Limit, script, System.IO.Path.Combine(_corpus.Repos, repo));
        Assert.All(r.ErrorIds, id => Assert.StartsWith("GitOpsSec.", id, StringComparison.Ordinal));
        if (repo == "with-lfs" && script.StartsWith("Find-GitOpsSecret", StringComparison.Ordinal))
        {
            Assert.Empty(r.Output); // an LFS pointer is text without a secret
        }
        else
        {
            Assert.NotEmpty(r.Output);
        }
        if (repo == "corrupt")
        {
            // One damaged blob: an error for it, and the rest of the history still read.
            if (script.StartsWith("Find-GitOpsSecret", StringComparison.Ordinal) || script.StartsWith("Get-GitOpsManifest", StringComparison.Ordinal))
            {
                Assert.Contains("GitOpsSec.Git.ReadFailed", r.ErrorIds);
            }
        }
    }

    [Fact]
    public void Damaged_and_partial_histories_keep_what_can_be_read()
    {
        using var session = new PowerShellSession();
        string corrupt = System.IO.Path.Combine(_corpus.Repos, "corrupt");
        // The leak was committed after the damaged blob: still found.
        var leak = session.RunBounded(Limit, "Find-GitOpsSecret -Path $args[0] -History | ForEach-Object { \"$($_.RuleId) $($_.Path)\" }", corrupt);
        Assert.Equal(new[] { "GOS2110 leak.yaml" }, leak.Output.Select(o => (string)o.BaseObject));
        Assert.Equal(4, session.RunBounded(Limit, "Test-CommitMessage -Path $args[0]", corrupt).Output.Count);
        var manifests = session.RunBounded(Limit, "Get-GitOpsManifest -Path $args[0] -Revision HEAD | ForEach-Object Name", corrupt);
        Assert.Equal(new[] { "GitOpsSec.Git.ReadFailed" }, manifests.ErrorIds);
        Assert.Equal(4, manifests.Output.Count); // app-1..3 and the leak ConfigMap; app-0's blob is the damaged one

        string shallow = System.IO.Path.Combine(_corpus.Repos, "shallow");
        var signatures = session.RunBounded(Limit, "Test-CommitSignature -Path $args[0]", shallow);
        Assert.Equal(2, signatures.Output.Count);
        Assert.Contains(signatures.Warnings, w => w.Message.Contains("shallow", StringComparison.Ordinal));

        string bare = System.IO.Path.Combine(_corpus.Repos, "bare.git");
        var fromBare = session.RunBounded(Limit, "Get-GitOpsManifest -Path $args[0] | ForEach-Object Name", bare);
        Assert.Equal(7, fromBare.Output.Count); // read at HEAD: six Deployments and the ConfigMap
        Assert.Contains(fromBare.Warnings, w => w.Message.Contains("bare git repository", StringComparison.Ordinal));
        Assert.Empty(session.RunBounded(Limit, "Find-GitOpsSecret -Path $args[0]", bare).Output); // git's object files are not scanned as text

        string submodule = System.IO.Path.Combine(_corpus.Repos, "with-submodule");
        Assert.Equal(3, session.RunBounded(Limit, "Get-GitOpsManifest -Path $args[0] -Revision HEAD", submodule).Output.Count); // the gitlink is skipped
        string lfs = System.IO.Path.Combine(_corpus.Repos, "with-lfs");
        Assert.Empty(session.RunBounded(Limit, "Find-GitOpsSecret -Path $args[0] -History", lfs).Output);
    }
}
