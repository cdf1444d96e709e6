using GitOpsSec.Admission;
using GitOpsSec.Cel;
using GitOpsSec.Tests.Shared;
using Xunit;

namespace GitOpsSec.Engine.Tests.Cel;

/// <summary>
/// The Kubernetes CEL environment: library results held to the facts Kubernetes' own library tests state
/// (k8s.io/apiserver/pkg/cel/library, read for facts; cases written here), the cost budget, the undecidable
/// authorizer, and hostile expressions that must end in bounded time.
/// </summary>
public class CelKubernetesTests
{
    private static object? Eval(string expr, Dictionary<string, object?>? vars = null) =>
        CelProgram.Compile(expr).Evaluate(vars ?? new Dictionary<string, object?>());

    [Theory]
    // quantity.go
    [InlineData("quantity('200M') == quantity('0.2G')", true)]
    [InlineData("quantity('2M') == quantity('0.002G') && quantity('2000k') == quantity('2M')", true)]
    [InlineData("quantity('200M') == quantity('0.3G')", false)]
    [InlineData("quantity('50M').isLessThan(quantity('50Mi'))", true)]
    [InlineData("quantity('50Mi').isGreaterThan(quantity('50M'))", true)]
    [InlineData("quantity('50k').add(quantity('20')) == quantity('50.02k')", true)]
    [InlineData("quantity('50k').sub(20) == quantity('49980')", true)]
    [InlineData("quantity('50k').add(20).sub(quantity('100k')).asInteger() == -49980", true)]
    [InlineData("isQuantity('20Mi') && !isQuantity('20Mo') && !isQuantity('10Mm')", true)]
    [InlineData("quantity('200M').compareTo(quantity('0.2G')) == 0 && quantity('50M').compareTo(quantity('50Mi')) == -1", true)]
    // ip.go and cidr.go
    [InlineData("ip('192.168.0.1').family() == 4 && ip('2001:db8::68').family() == 6", true)]
    [InlineData("isIP('192.168.0.1') && !isIP('192.168.0.1.0') && !isIP('2001:db8:::68')", true)]
    [InlineData("ip('0.0.0.0').isUnspecified() && !ip('127.0.0.1').isUnspecified()", true)]
    [InlineData("ip('127.0.0.1').isLoopback() && !ip('1.2.3.4').isLoopback()", true)]
    [InlineData("ip('224.0.0.1').isLinkLocalMulticast() && !ip('224.0.1.1').isLinkLocalMulticast()", true)]
    [InlineData("ip('169.254.169.254').isLinkLocalUnicast() && !ip('192.168.0.1').isLinkLocalUnicast()", true)]
    [InlineData("ip('192.168.0.1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast()", true)]
    [InlineData("ip.isCanonical('127.0.0.1') && !ip.isCanonical('2001:DB8::68')", true)]
    [InlineData("cidr('192.168.0.0/24').containsIP(ip('192.168.0.1')) && !cidr('192.168.0.0/24').containsIP('192.168.1.1')", true)]
    [InlineData("cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24') && !cidr('192.168.0.0/24').containsCIDR('192.168.0.0/16')", true)]
    [InlineData("cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24') && cidr('192.168.0.0/24').prefixLength() == 24", true)]
    [InlineData("isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0/33') && !isCIDR('10.0.0.0')", true)]
    // urls.go
    [InlineData("url('https://example.com:80/path?q=1').getHost() == 'example.com:80'", true)]
    [InlineData("url('https://example.com/path').getHostname() == 'example.com' && url('https://example.com/path').getPort() == ''", true)]
    [InlineData("url('https://example.com/a%20b').getEscapedPath() == '/a%20b' && url('/relative').getScheme() == ''", true)]
    [InlineData("url('https://example.com/?k=a&k=b&j=c').getQuery()['k'] == ['a', 'b']", true)]
    [InlineData("isURL('https://example.com') && !isURL('not a url')", true)]
    // lists.go and regex.go
    [InlineData("[1, 2, 3].isSorted() && ![3, 1].isSorted() && [1, 2, 3].sum() == 6 && [1, 5, 3].max() == 5 && [4, 2].min() == 2", true)]
    [InlineData("[1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2 && ['a'].indexOf('b') == -1", true)]
    [InlineData("'abc 123'.find('[0-9]+') == '123' && '123 abc 456'.findAll('[0-9]+') == ['123', '456'] && '1 2 3'.findAll('[0-9]', 2) == ['1', '2']", true)]
    // cel-go strings extension as Kubernetes enables it
    [InlineData("'a,b,c'.split(',') == ['a', 'b', 'c'] && ['a', 'b'].join('-') == 'a-b' && ' x '.trim() == 'x'", true)]
    [InlineData("'hello'.substring(1, 3) == 'el' && 'TacoCat'.lowerAscii() == 'tacocat' && 'abc'.charAt(1) == 'b'", true)]
    [InlineData("'%s has %d replicas, %.2f%%'.format(['web', 3, 12.5]) == 'web has 3 replicas, 12.50%'", true)]
    // format.go, sets and optionals
    [InlineData("format.dns1123Label().validate('my-name') == optional.none() && format.dns1123Label().validate('My_Name').hasValue()", true)]
    [InlineData("format.named('dns1123Subdomain').value().validate('a.b.c') == optional.none() && !format.named('no-such-format').hasValue()", true)]
    [InlineData("sets.contains([1, 2, 3], [2]) && sets.equivalent([1, 2], [2, 1, 1]) && !sets.intersects([1], [2])", true)]
    [InlineData("{'a': 1}.?b.orValue(7) == 7 && {'a': 1}.?a.value() == 1 && [?optional.none(), 1] == [1]", true)]
    // semverlib.go
    [InlineData("isSemver('1.2.3-beta.1+build.1') && !isSemver('') && !isSemver('v1.0.0') && !isSemver('01.01.01') && !isSemver('1.1')", true)]
    [InlineData("isSemver('v1.0.0', true) && isSemver('01.01.01', true) && isSemver('1', true) && !isSemver(' 1.0.0', true)", true)]
    [InlineData("semver('v01.01', true) == semver('1.1.0') && semver('1.2.3') != semver('1.0.0')", true)]
    [InlineData("semver('1.0.0').isLessThan(semver('1.2.3')) && !semver('1.0.0').isGreaterThan(semver('1.0.0')) && semver('1.2.3').compareTo(semver('1.2.3')) == 0", true)]
    [InlineData("semver('1.0.0-alpha').isLessThan(semver('1.0.0')) && semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta')) && semver('1.2.3').major() == 1", true)]
    [InlineData("jsonpatch.escapeKey('k8s.io/my~label') == 'k8s.io~1my~0label'", true)]
    public void Kubernetes_library_functions_agree_with_the_facts_of_its_tests(string expr, bool expected) =>
        Assert.Equal(expected, Eval(expr));

    [Theory]
    [InlineData("quantity('10Mo')")]
    [InlineData("ip('192.168.0.1.0')")]
    [InlineData("cidr('192.168.0.0/33')")]
    [InlineData("url('not a url')")]
    [InlineData("[].max()")]
    [InlineData("quantity('9999999999999999999999999999G').asInteger()")]
    public void Bad_input_to_a_library_function_is_an_error_value(string expr) =>
        Assert.IsType<CelError>(Eval(expr));

    [Fact]
    public void The_authorizer_is_undecided_never_a_pass()
    {
        var vars = new Dictionary<string, object?> { ["authorizer"] = CelAuthorizer.Instance };
        var e = Assert.Throws<CelAbortException>(() => Eval("authorizer.group('').resource('pods').check('create').allowed()", vars));
        Assert.Equal("Undecided", e.Id);
        // Short-circuit still decides when the other side does, as on the API server.
        Assert.Equal(true, Eval("true || authorizer.group('').resource('pods').check('create').allowed()", vars));
    }

    [Fact]
    public void An_expression_over_its_cost_budget_is_aborted_not_run_to_completion()
    {
        var list = Enumerable.Range(0, 2000).Select(i => (object?)(long)i).ToList();
        var vars = new Dictionary<string, object?> { ["l"] = list };
        var started = DateTime.UtcNow;
        var e = Assert.Throws<CelAbortException>(() => CelProgram.Compile("l.all(x, l.all(y, l.all(z, x + y + z >= 0)))").Evaluate(vars));
        Assert.Equal("CostExceeded", e.Id);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("object.spec.replicas <=", 23)]
    [InlineData("object.spec.containers.all(c, c.image.startsWith('x')", 53)]
    [InlineData("noSuchFunction(object)", 0)]
    [InlineData("object.spec.x.noSuchMember()", 14)]
    [InlineData("'unterminated", 0)]
    [InlineData("undeclaredVariable.x == 1", 0)]
    public void Syntax_errors_unknown_functions_and_variables_fail_to_compile_with_a_position(string expr, int position)
    {
        var e = Assert.Throws<CelCompileException>(() => CelProgram.Compile(expr, new[] { "object" }));
        Assert.Equal(position, e.Position);
    }

    [Fact]
    public void Hostile_expressions_end_in_bounded_time()
    {
        // Deep nesting is a compile error, not a stack overflow; a huge literal list is spent against the budget;
        // a regular expression that backtracks exponentially elsewhere runs in linear time.
        Assert.Throws<CelCompileException>(() => CelProgram.Compile(new string('(', 5000) + "1" + new string(')', 5000)));
        Assert.Throws<CelCompileException>(() => CelProgram.Compile(string.Concat(Enumerable.Repeat("!", 5000)) + "true"));
        string wide = "[" + string.Join(",", Enumerable.Repeat("1", 200_000)) + "].size() > 0";
        Assert.Throws<CelAbortException>(() => CelProgram.Compile(wide).Evaluate(new Dictionary<string, object?>(), costLimit: 100_000));
        Assert.Equal(false, Eval("'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'.matches('^(a+)+$')"));
    }

    [Fact]
    public void Integer_overflow_and_division_by_zero_are_errors_not_wrapped_numbers()
    {
        Assert.IsType<CelError>(Eval("9223372036854775807 + 1"));
        Assert.IsType<CelError>(Eval("1 / 0"));
        Assert.IsType<CelError>(Eval("0u - 1u"));
        Assert.Equal(long.MinValue, Eval("-9223372036854775808"));
    }
}
