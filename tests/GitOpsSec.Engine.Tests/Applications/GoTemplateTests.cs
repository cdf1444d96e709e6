using GitOpsSec.Applications;
using Xunit;

namespace GitOpsSec.Engine.Tests.Applications;

/// <summary>
/// The offline Go-template subset, held to text/template's documented semantics (trim markers remove all adjacent
/// white space; a pipeline passes its value as the last argument; range over a map visits keys in sorted order; with
/// and if treat empty values as false) and to Helm's functions (default, quote, nindent, toYaml).
/// </summary>
public sealed class GoTemplateTests
{
    private static Dictionary<string, object?> Map(params (string Key, object? Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    private static string Render(string template, object? data) => GoTemplate.Render(template, data);

    [Fact]
    public void Trim_markers_remove_the_white_space_next_to_them_and_only_that()
    {
        Assert.Equal("a=1;b", Render("a=  {{- 1 -}}  ;\n  {{- \"b\" }}", null));
        Assert.Equal("x \n y", Render("x {{/* a comment */}}\n y", null));
    }

    [Fact]
    public void Pipelines_pass_the_value_last_and_default_quote_printf_work_as_in_helm()
    {
        var data = Map(("name", "web"), ("empty", ""));
        Assert.Equal("\"web\"", Render("{{ .namespace | default .name | quote }}", data));
        Assert.Equal("\"set\"", Render("{{ .empty | default \"set\" | quote }}", data));
        Assert.Equal("example.web", Render("{{ printf \"example.%s\" .name }}", data));
        Assert.Equal("WEB", Render("{{ .name | upper }}", data));
        Assert.Equal("\n    web", Render("{{ .name | nindent 4 }}", data));
    }

    [Fact]
    public void Range_with_if_and_variables_follow_text_template()
    {
        var data = Map(("Values", Map(
            ("apps", new List<object?> { Map(("name", "a"), ("tool", Map(("plugin", Map(("name", "p")))))), Map(("name", "b")) }),
            ("labels", Map(("z", "1"), ("a", "2"))),
            ("config", Map(("server", "https://k"))))));
        string t = "{{- $c := $.Values.config -}}\n{{- range .Values.apps }}\n- {{ .name }} {{ $c.server }}\n  {{- with .tool }}{{ . | toYaml | nindent 2 }}{{ else }} none{{ end }}\n{{- end }}";
        Assert.Equal("\n- a https://k\n  plugin:\n    name: p\n- b https://k none", Render(t, data));
        Assert.Equal("a=2,z=1,", Render("{{ range $k, $v := .Values.labels }}{{ $k }}={{ $v }},{{ end }}", data));
        Assert.Equal("no", Render("{{ if .Values.missing }}yes{{ else if .Values.none }}maybe{{ else }}no{{ end }}", data));
        Assert.Equal("empty", Render("{{ range .Values.nothing }}x{{ else }}empty{{ end }}", data));
    }

    [Fact]
    public void What_is_not_implemented_is_refused_never_guessed_and_work_is_bounded()
    {
        Assert.Throws<TemplateNotSupportedException>(() => Render("{{ include \"x.name\" . }}", null));
        Assert.Throws<TemplateNotSupportedException>(() => Render("{{ define \"x\" }}y{{ end }}", null));
        Assert.Throws<TemplateNotSupportedException>(() => Render("{{ lookup \"v1\" \"Secret\" \"ns\" \"name\" }}", null));
        Assert.Throws<TemplateNotSupportedException>(() => Render("{{ if .a }}open", Map(("a", true))));
        // A repository author cannot make the renderer loop for ever or write without end.
        Assert.Throws<TemplateNotSupportedException>(() => Render("{{ range 100000000 }}{{ range 100000000 }}x{{ end }}{{ end }}", null));
    }
}
