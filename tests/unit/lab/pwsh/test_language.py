"""Statements, scopes, functions, output and conversions, with the specification's section and examples."""

from __future__ import annotations

import pytest

from tests.lab.cmdlets.base import PSError
from tests.lab.pwsh import Interpreter, ParseError, Unsupported
from tests.lab.pwsh.model import Hashtable
from tests.unit.lab.pwsh.support import run, value


def test_grouping_and_array_subexpression_7_1_7() -> None:
    source = """
    $j = 20
    @($i = 10).Count
    @(($i = 10)).Count
    @($i = 10; $j).Count
    @(($i = 10); $j).Count
    $a = @(2,4,6); $a.Count
    """
    assert run(source) == [0, 1, 1, 2, 3]  # array of 0, 1, 1, 2 and 3 (the section's examples)


def test_array_subexpression_of_null_and_of_an_array_7_1_7() -> None:
    assert run("@($null).Count; @(@(1,2)).Count; @().Count") == [1, 2, 0]


def test_unary_comma_7_2_1() -> None:
    source = """
    $a = ,10
    $a.Count
    $a = ,(10,"red")
    $a.Count
    $a[0].Count
    """
    assert run(source) == [1, 1, 2]


def test_output_unrolls_one_level_and_return_comma_keeps_the_array_8_5_4() -> None:
    source = """
    function Many { return 1, 2 }
    function One { return , @(1, 2) }
    $m = Many; $o = One
    $m.Count; $o.Count; (One).Count; @(One).Count; @(Many).Count
    """
    assert run(source) == [2, 2, 2, 1, 2]


def test_return_writes_everything_written_before_it_8_5_4() -> None:
    source = """
    function Test {
        "text1"
        "text2"
        return 123
    }
    Test
    """
    assert run(source) == ["text1", "text2", 123]


def test_void_cast_and_arraylist_add_6_1() -> None:
    source = """
    $l = New-Object System.Collections.ArrayList
    $l.Add('a')
    [void]$l.Add('b')
    $l.Count
    """
    assert run(source) == [0, 2]


def test_multiple_assignment_7_11_1() -> None:
    assert run('$i,$j,$k = 10,"red",$true; $i; $j; $k') == [10, "red", True]
    assert value('$i,$j = 10,"red",$true; , $j') == ["red", True]  # $j is [Object[]], Length 2
    assert run("$i,$j,$k = 10; $i; $null -eq $j; $null -eq $k") == [10, True, True]


def test_hashtable_member_assignment_adds_keys_7_11_1() -> None:
    source = """
    $h1 = @{ FirstName = "James"; LastName = "Anderson"; IDNum = 123 }
    $h1.Dept = "Finance"
    $h1["City"] = "New York"
    $h1.Count; $h1.dept; $h1.CITY
    """
    assert run(source) == [5, "Finance", "New York"]


def test_hashtable_keys_ignore_case_and_keep_the_first_spelling_10() -> None:
    table = value("$h = [ordered]@{ Name = 1 }; $h['NAME'] = 2; $h['other'] = 3; , $h")
    assert isinstance(table, Hashtable) and table.ordered
    assert table.items() == [("Name", 2), ("other", 3)]


def test_ordered_dictionary_remove_4_3_9() -> None:
    assert run("$o = [ordered]@{ a = 1; b = 2 }; $o.Remove('A'); @($o.Keys)") == ["b"]


def test_string_expansion_2_3_5_2() -> None:
    source = """
    $verb = 'Get'; $noun = 'CsTenant'; $p = 'LyncHybrid'; $o = @{ Name = 'x' }
    "$verb-$p$noun"
    "Invalid '$($o.Name)' ($verb)."
    "a`tb"
    """
    assert run(source) == ["Get-LyncHybridCsTenant", "Invalid 'x' (Get).", "a\tb"]


def test_conversion_to_string_joins_arrays_with_spaces_6_8() -> None:
    assert run("[string](1, 'a', $true); [string]$null; \"$(1,2)\"") == ["1 a True", "", "1 2"]


def test_conversion_to_int_rounds_6_4() -> None:
    assert run("[int]10.6; [int]'  42 '; [int]$true; [int][char]'A'") == [11, 42, 1, 65]  # §7.11.1: [int]10.6 is 11
    with pytest.raises(PSError) as caught:
        run("[int]'abc'")
    assert caught.value.record.message == (
        'Cannot convert value "abc" to type "System.Int32". Error: "Input string was not in a correct format."'
    )


def test_count_of_scalars_and_null() -> None:
    """PowerShell 3.0 gives every scalar a Count of 1 and $null a Count of 0 (intrinsic members)."""
    assert run("(5).Count; 'abc'.Count; $null.Count; 'abc'.Length") == [1, 1, 0, 3]


def test_if_elseif_else_8_3() -> None:
    source = "foreach ($v in 0, 1, 2) { if ($v -eq 0) { 'zero' } elseif ($v -eq 1) { 'one' } else { 'many' } }"
    assert run(source) == ["zero", "one", "many"]


def test_foreach_and_continue_8_4_4_and_8_5_2() -> None:
    assert run("foreach ($i in 1, 2, 3, 4) { if ($i % 2) { continue }; $i }") == [2, 4]
    assert run("foreach ($i in $null) { 'never' }") == []


def test_scopes_function_sees_caller_and_global_assignment_3_5() -> None:
    source = """
    $x = 'script'
    function Inner { $x; $x = 'local'; $x; $global:g = 'set' }
    Inner
    $x
    $g
    """
    assert run(source) == ["script", "local", "script", "set"]


def test_functions_bind_named_prefix_and_positional_parameters_8_14() -> None:
    source = """
    function F {
        param($Value, [int]$Depth = 1)
        "$Value/$Depth"
    }
    F -Value a -Depth '3'
    F -Val b
    F c 4
    """
    assert run(source) == ["a/3", "b/1", "c/4"]


def test_string_parameter_converts_null_to_empty_6_17() -> None:
    assert run("function F {\nparam([string]$Name)\n$null -eq $Name; $Name.Length }\nF -Name $null") == [False, 0]


def test_int_parameter_conversion_failure_is_a_binding_error_6_17() -> None:
    with pytest.raises(PSError) as caught:
        run("function F {\nparam([int]$Depth)\n$Depth }\nF -Depth 'x'")
    assert caught.value.record.fqid == "ParameterArgumentTransformationError,F"


def test_mandatory_parameter_refuses_null_12_3_7() -> None:
    with pytest.raises(PSError) as caught:
        run("& { param([Parameter(Mandatory = $true)] $Request) 'ran' } -Request $null")
    assert caught.value.record.message == "Cannot bind argument to parameter 'Request' because it is null."


def test_advanced_function_refuses_unknown_parameters_12_3_7() -> None:
    with pytest.raises(PSError) as caught:
        run("function F {\nparam([Parameter(Mandatory = $true)] $A)\n$A }\nF -A 1 -B 2")
    assert caught.value.record.fqid == "NamedParameterNotFound,F"


def test_splatting_a_hashtable_8_14() -> None:
    assert run('function F {\nparam($A, $B)\n"$A+$B" }\n$p = @{ B = 2; A = 1 }; F @p') == ["1+2"]


def test_try_catch_finally_and_throw_8_7_and_8_5_3() -> None:
    source = """
    try { throw "xxx" } catch { $_.TargetObject; $_.FullyQualifiedErrorId; $_.Exception.GetType().FullName }
    finally { 'finally' }
    """
    assert run(source) == ["xxx", "xxx", "System.Management.Automation.RuntimeException", "finally"]


def test_finally_runs_when_the_error_escapes_8_7() -> None:
    interpreter = Interpreter(None)
    with pytest.raises(PSError):
        interpreter.run("try { throw 'out' } finally { $global:done = 'yes' }")
    assert interpreter.get_variable("done") == "yes"


def test_where_foreach_sort_select_and_underscore() -> None:
    source = """
    $rows = @(@{ id = 'b'; n = 2 }, @{ id = 'a'; n = 1 }, @{ id = 'c'; n = 3 })
    @($rows | Where-Object { $_.n -gt 1 } | ForEach-Object { $_.id })
    $rows | Where-Object { $_.id -eq 'A' } | Select-Object -First 1 | ForEach-Object { $_.n }
    @('b', 'C', 'a' | Sort-Object)
    """
    assert run(source) == ["b", "c", 1, "a", "b", "C"]


def test_sort_object_orders_versions_as_versions() -> None:
    assert run("@([version]'10.0.0', [version]'7.0.0' | Sort-Object -Descending) -join ','") == ["10.0.0,7.0.0"]


def test_pscustomobject_from_json_members_and_properties() -> None:
    source = """
    $p = ConvertFrom-Json '{"Runner": "r", "list": [1, 2], "o": {"$credential": {"username": "u"}}}'
    $p.runner
    $p.list.Count
    $p.o.'$credential'.username
    @($p.PSObject.Properties | ForEach-Object { $_.Name }) -join ','
    $p -is [System.Management.Automation.PSCustomObject]
    """
    assert run(source) == ["r", 2, "u", "Runner,list,o", True]


def test_convertto_json_of_windows_powershell_5_1() -> None:
    source = """ConvertTo-Json -InputObject ([ordered]@{ a = "<x>"; b = @(1, $null); c = $true }) -Compress"""
    assert run(source) == ['{"a":"\\u003cx\\u003e","b":[1,null],"c":true}']


def test_regex_replace_with_a_script_block_evaluator() -> None:
    source = """[regex]::Replace('a#é', '[^\\x00-\\x7F]|#', { param($m) '\\u{0:x4}' -f [int][char]$m.Value })"""
    assert run(source) == ["a\\u0023\\u00e9"]


def test_string_split_with_a_count_and_to_char_array() -> None:
    assert run("$v, $n = 'Get-Cs-Tenant'.Split('-', 2); $v; $n; 'ab'.ToCharArray().Count") == ["Get", "Cs-Tenant", 2]


@pytest.mark.parametrize(
    ("source", "construct"),
    [
        ("while ($true) { }", "while_statement"),
        ("$x = 1; $x++", "post_increment_expression"),
        ("Get-Item x > out.txt", "redirection"),
        ("function F ($v) { $v }", "function parameters outside a param() block"),
        ("[ValidateSet('a')] param($x)", "attribute"),
        ("$x = $env:PATH", "variable drive or scope 'env:'"),
        ("$a = 1..3", "1..3"),
        ("'a' -replace 'a', 'b'", "operator -replace"),
        ("switch (1) { 1 { 'one' } }", "switch_statement"),
    ],
)
def test_constructs_outside_the_subset_are_refused_with_the_line(source: str, construct: str) -> None:
    with pytest.raises((Unsupported, ParseError)) as caught:
        run("$ok = 1\n" + source)
    assert "line 2" in str(caught.value)
    assert construct in str(caught.value) or isinstance(caught.value, ParseError)


def test_unmodelled_members_and_types_are_refused() -> None:
    with pytest.raises(Unsupported, match=r"System\.Text\.StringBuilder"):
        run("New-Object System.Text.StringBuilder")
    with pytest.raises(Unsupported, match="Substring"):
        run("'abc'.Substring(1)")
    with pytest.raises(Unsupported, match="alias"):
        run("1 | % { $_ }")
