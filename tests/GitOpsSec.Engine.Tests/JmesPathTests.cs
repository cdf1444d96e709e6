using System.Diagnostics;
using GitOpsSec.Kyverno;
using GitOpsSec.Manifests;
using Xunit;

namespace GitOpsSec.Engine.Tests;

/// <summary>The JMESPath subset behind Kyverno variables, against the specification's semantics, and the condition operators.</summary>
public class JmesPathTests
{
    private static object? Data(string yaml) =>
        JmesPath.FromYaml(YamlDocumentReader.Read(yaml, "t.yaml", LoadLimits.Default, _ => { }).Single().Root);

    private const string Doc = """
        spec:
          containers:
            - {name: a, image: "nginx:1", ports: [{containerPort: 80}, {containerPort: 443}], securityContext: {privileged: true}}
            - {name: b, image: "busybox", ports: [{containerPort: 8080}]}
          initContainers:
            - {name: i, image: "tools:2"}
        metadata:
          labels: {app.kubernetes.io/name: web, tier: front}
          name: web-1
        """;

    [Theory]
    [InlineData("metadata.name", "\"web-1\"")]
    [InlineData("metadata.labels.\"app.kubernetes.io/name\"", "\"web\"")]
    [InlineData("spec.containers[0].name", "\"a\"")]
    [InlineData("spec.containers[-1].name", "\"b\"")]
    [InlineData("spec.containers[*].name", "[\"a\",\"b\"]")]
    [InlineData("spec.containers[].ports[].containerPort", "[80,443,8080]")]
    [InlineData("spec.containers[*].ports[*].containerPort", "[[80,443],[8080]]")]
    [InlineData("spec.containers[?name == 'b'].image | [0]", "\"busybox\"")]
    [InlineData("spec.containers[?securityContext.privileged].name", "[\"a\"]")]
    [InlineData("spec.containers[?!securityContext].name", "[\"b\"]")]
    [InlineData("spec.[initContainers, containers][].name", "[\"i\",\"a\",\"b\"]")]
    [InlineData("spec.containers[0:1].name", "[\"a\"]")]
    [InlineData("spec.containers[::-1].name", "[\"b\",\"a\"]")]
    [InlineData("metadata.labels.*", "[\"web\",\"front\"]")]
    [InlineData("length(spec.containers)", "2")]
    [InlineData("length(metadata.name)", "5")]
    [InlineData("metadata.missing || 'fallback'", "\"fallback\"")]
    [InlineData("metadata.missing", "null")]
    [InlineData("spec.missing[*].x", "null")]
    [InlineData("spec.containers[?name == 'zzz']", "[]")]
    [InlineData("`[1, 2]`", "[1,2]")]
    [InlineData("`false` || `true`", "true")]
    [InlineData("metadata.name && `0`", "0")]
    [InlineData("contains(spec.containers[].name, 'b')", "true")]
    [InlineData("starts_with(metadata.name, 'web')", "true")]
    [InlineData("to_upper(metadata.labels.tier)", "\"FRONT\"")]
    [InlineData("split(spec.containers[0].image, ':')[1]", "\"1\"")]
    [InlineData("join(',', spec.containers[].name)", "\"a,b\"")]
    [InlineData("{n: metadata.name, c: length(spec.containers)}", "{\"n\":\"web-1\",\"c\":2}")]
    [InlineData("spec.containers[?ports[?containerPort > `1000`]].name", "[\"b\"]")]
    [InlineData("max(spec.containers[].ports[].containerPort)", "8080")]
    [InlineData("regex_match('^nginx:', spec.containers[0].image)", "true")]
    public void Expressions_evaluate_as_the_specification_says(string expression, string json)
    {
        object? result = JmesPath.Evaluate(expression, Data(Doc));
        Assert.Equal(json, result is null ? "null" : System.Text.Json.JsonSerializer.Serialize(result).Replace(".0", string.Empty, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("spec.containers[")]
    [InlineData("spec..name")]
    [InlineData("'unterminated")]
    [InlineData("no_such_function(@)")]
    [InlineData("length(@, @)")]
    [InlineData("sort_by(spec.containers, &name)")]
    [InlineData("a ^ b")]
    public void Bad_or_unsupported_expressions_are_JmesPathExceptions(string expression) =>
        Assert.Throws<JmesPathException>(() => JmesPath.Evaluate(expression, Data(Doc)));

    [Theory]
    [InlineData("Equals", "\"nginx:1\"", "\"nginx:*\"", true)]
    [InlineData("Equals", "\"1Gi\"", "\"1024Mi\"", true)]
    [InlineData("Equals", "\"90s\"", "\"1m30s\"", true)]
    [InlineData("NotEquals", "true", "false", true)]
    [InlineData("AnyIn", "[\"SYS_ADMIN\",\"KILL\"]", "[\"KILL\"]", true)]
    [InlineData("AllIn", "[\"SYS_ADMIN\",\"KILL\"]", "[\"KILL\"]", false)]
    [InlineData("AnyNotIn", "[\"KILL\"]", "[\"KILL\",\"CHOWN\"]", false)]
    [InlineData("AllNotIn", "[\"A\",\"B\"]", "[\"C*\"]", true)]
    [InlineData("AnyIn", "[8080]", "[\"8000-9000\"]", true)]
    [InlineData("AnyIn", "[80]", "[\"!8000-9000\"]", true)]
    [InlineData("In", "\"prod\"", "[\"dev\",\"prod\"]", true)]
    [InlineData("NotIn", "[\"prod\",\"qa\"]", "[\"prod\"]", true)]
    [InlineData("GreaterThan", "\"1500m\"", "1", true)]
    [InlineData("LessThan", "\"512Mi\"", "\"1Gi\"", true)]
    [InlineData("GreaterThanOrEquals", "\"1h\"", "\"60m\"", true)]
    [InlineData("LessThanOrEquals", "\"1.2.10\"", "\"1.10.0\"", true)]
    [InlineData("GreaterThan", "\"abc\"", "1", false)]
    public void Condition_operators_follow_Kyverno(string op, string key, string value, bool expected)
    {
        object? Parse(string json) => JmesPath.Evaluate($"`{json}`", null);
        Assert.Equal(expected, Operators.Apply(op, Parse(key), Parse(value)));
    }

    [Fact]
    public void Random_expressions_end_in_a_value_or_a_JmesPathException_within_bounded_time()
    {
        var random = new Random(90210);
        string[] atoms = { "a", "b", "spec", "containers", "[", "]", "[]", "[*]", "[?", "*", ".", "|", "||", "&&", "!", "==", "<", ">=", "(", ")", ",", ":", "@", "`1`", "`\"x\"`", "'s'", "\"q\"", "{", "}", "0", "-1", "length(", "&", "`", "'", "\"", "\\" };
        object? data = Data(Doc);
        var watch = Stopwatch.StartNew();
        int parsed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            int n = random.Next(1, 12);
            string expr = string.Concat(Enumerable.Range(0, n).Select(_ => atoms[random.Next(atoms.Length)]));
            try
            {
                JmesPath.Evaluate(expr, data);
                parsed++;
            }
            catch (JmesPathException)
            {
            }
        }
        Assert.True(parsed > 100, $"only {parsed} random expressions were valid: the generator no longer exercises evaluation");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"20,000 random expressions took {watch.Elapsed}");
    }
}
