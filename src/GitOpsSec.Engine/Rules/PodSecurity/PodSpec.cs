using GitOpsSec.Manifests;

namespace GitOpsSec.Rules.PodSecurity;

/// <summary>A container of a pod spec: which list it is in, its node and its path.</summary>
internal sealed record ContainerRef(string ListName, YMapping Node, FieldPath Path)
{
    public string Name => Node.Text("name") ?? "(unnamed)";

    public string Describe() => ListName switch
    {
        "initContainers" => $"Init container '{Name}'",
        "ephemeralContainers" => $"Ephemeral container '{Name}'",
        _ => $"Container '{Name}'",
    };

    public YMapping? SecurityContext => Node.Map("securityContext");
    public FieldPath SecurityContextPath => Path.Key("securityContext");
}

/// <summary>The pod spec inside any pod-bearing object, with the paths to reach it.</summary>
internal sealed class PodSpec
{
    private static readonly string[] ContainerLists = { "containers", "initContainers", "ephemeralContainers" };

    private PodSpec(YMapping spec, FieldPath specPath, YMapping? metadata, FieldPath metadataPath)
    {
        Spec = spec;
        SpecPath = specPath;
        Metadata = metadata;
        AnnotationsPath = metadataPath.Key("annotations");
    }

    public YMapping Spec { get; }
    public FieldPath SpecPath { get; }

    /// <summary>The pod's (or pod template's) metadata, where pod annotations live.</summary>
    public YMapping? Metadata { get; }

    /// <summary>Path to the pod's (or pod template's) annotations.</summary>
    public FieldPath AnnotationsPath { get; }

    public YMapping? SecurityContext => Spec.Map("securityContext");
    public FieldPath SecurityContextPath => SpecPath.Key("securityContext");

    /// <summary>Pods that declare spec.os.name windows are exempt from some Restricted controls.</summary>
    public bool IsWindows => Spec.Map("os")?.Text("name") == "windows";

    /// <summary>spec.hostUsers: false, a pod in its own user namespace, which v1.35+ exempts from some controls (helpers.go relaxPolicyForUserNamespacePod).</summary>
    public bool HostUsersFalse => Spec["hostUsers"] is YScalar s && s.AsBoolean() == false;

    /// <summary>Every container of every list, with its path: made once, as every control walks them.</summary>
    public IReadOnlyList<ContainerRef> Containers => _containers ??= FindContainers();

    private IReadOnlyList<ContainerRef>? _containers;

    private List<ContainerRef> FindContainers()
    {
        var containers = new List<ContainerRef>();
        foreach (string list in ContainerLists)
        {
            if (Spec.Seq(list) is not YSequence seq)
            {
                continue;
            }
            FieldPath listPath = SpecPath.Key(list);
            for (int i = 0; i < seq.Items.Count; i++)
            {
                if (seq.Items[i] is YMapping c)
                {
                    containers.Add(new ContainerRef(list, c, listPath.Item(i, c)));
                }
            }
        }
        return containers;
    }

    public IEnumerable<KeyValuePair<string, string>> Annotations =>
        Metadata?.Map("annotations")?.Entries
            .Where(e => e.Value is YScalar)
            .Select(e => new KeyValuePair<string, string>(e.Key.Value, ((YScalar)e.Value).Value))
        ?? Enumerable.Empty<KeyValuePair<string, string>>();

    /// <summary>The pod spec of <paramref name="obj"/>, or null when the object carries no pods.</summary>
    /// <remarks>
    /// Every rule asks for it: it is made once per object (a compact copy, whose tree thaws on demand, makes it
    /// each time). The paths are shared: one per place a pod spec can be.
    /// </remarks>
    public static PodSpec? Of(ManifestObject obj)
    {
        if (obj.IsCompact)
        {
            return Find(obj);
        }
        if (obj.PodSpecCache is null)
        {
            obj.PodSpecCache = Find(obj) ?? (object)None;
        }
        return obj.PodSpecCache as PodSpec;
    }

    private static readonly object None = new();

    /// <summary>
    /// Whether the object has a pod spec (<see cref="Of"/> is not null). A compact copy has one: it is made only of a
    /// workload with a pod spec, and keeps its path (RepositoryNeeds.Compact); its tree is not thawed to say so.
    /// </summary>
    public static bool Exists(ManifestObject obj) => obj.IsCompact || Of(obj) is not null;

    private sealed record Paths(FieldPath Spec, FieldPath Metadata);

    private static readonly Paths PodPaths = new(FieldPath.Root.Key("spec"), FieldPath.Root.Key("metadata"));
    private static readonly Paths PodTemplatePaths = TemplatePaths(FieldPath.Root.Key("template"));
    private static readonly Paths CronJobPaths = TemplatePaths(FieldPath.Root.Keys("spec", "jobTemplate", "spec", "template"));
    private static readonly Paths WorkloadPaths = TemplatePaths(FieldPath.Root.Keys("spec", "template"));

    private static Paths TemplatePaths(FieldPath template) => new(template.Key("spec"), template.Key("metadata"));

    private static PodSpec? Find(ManifestObject obj)
    {
        YMapping node = obj.Node;
        switch (obj.Kind)
        {
            case "Pod":
                return node.Map("spec") is YMapping podSpec ? new PodSpec(podSpec, PodPaths.Spec, node.Map("metadata"), PodPaths.Metadata) : null;
            case "PodTemplate":
                return FromTemplate(node.Map("template"), PodTemplatePaths);
            case "CronJob":
                return FromTemplate(node.Map("spec")?.Map("jobTemplate")?.Map("spec")?.Map("template"), CronJobPaths);
            default:
                // Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, and any
                // other kind with a pod template at spec.template (Argo Rollouts, for instance).
                YMapping? template = node.Map("spec")?.Map("template");
                if (template?.Map("spec")?.Seq("containers") is null && !IsBuiltInWorkload(obj.Kind))
                {
                    return null;
                }
                return FromTemplate(template, WorkloadPaths);
        }
    }

    private static bool IsBuiltInWorkload(string kind) => kind is "Deployment" or "StatefulSet" or "DaemonSet" or
        "ReplicaSet" or "ReplicationController" or "Job";

    private static PodSpec? FromTemplate(YMapping? template, Paths paths) =>
        template?.Map("spec") is YMapping spec ? new PodSpec(spec, paths.Spec, template.Map("metadata"), paths.Metadata) : null;
}

/// <summary>Fail-closed readings of fields: anything not provably allowed is a violation.</summary>
internal static class Field
{
    /// <summary>True when the field is set to anything other than false or null.</summary>
    public static bool IsSetNotFalse(YNode? node) =>
        node is not null && !(node is YScalar s && (s.IsNull || s.AsBoolean() == false));

    /// <summary>True only when the field is the boolean true.</summary>
    public static bool IsTrue(YNode? node) => node is YScalar s && s.AsBoolean() == true;

    public static bool IsUnset(YNode? node) => node is null || node is YScalar { IsNull: true };

    /// <summary>The field's text for messages; "unset" when absent.</summary>
    public static string Show(YNode? node) => node switch
    {
        null => "unset",
        YScalar { IsNull: true } => "null",
        YScalar s => s.Value,
        YMapping => "a mapping",
        _ => "a list",
    };
}
