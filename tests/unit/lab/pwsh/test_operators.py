"""Operators: the expected values are the examples of the Windows PowerShell Language Specification 3.0.

Each test names its section; the comment after each case is the specification's own.
"""

from __future__ import annotations

import pytest

from tests.unit.lab.pwsh.support import run, value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('10 -eq "010"', True),  # True, int comparison
        ('"010" -eq 10', False),  # False, string comparison
        ('"RED" -eq "Red"', True),  # True, case-insensitive comparison
        ('"RED" -ceq "Red"', False),  # False, case-sensitive comparison
        ('"ab" -lt "abc"', True),  # True
        ('"RED" -cne "Red"', True),  # -cne: the case-sensitive variant of -ne (§7.8)
        ('"RED" -ne "Red"', False),
    ],
)
def test_equality_and_relational_operators_7_8_1(source: str, expected: bool) -> None:
    assert run(source) == [expected]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("@(10,20,30,20,10 -ne 20)", [10, 30, 10]),  # 10,30,10, Length 3
        ("@(10,20,30,20,10 -eq 40)", []),  # Length 0
        ("@(10,20,30,20,10 -ne 40)", [10, 20, 30, 20, 10]),  # Length 5
        ("@(10,20,30,20,10 -gt 25)", [30]),  # 30, Length 1
        ('@(0,"00" -eq "0")', [0]),  # 0 (int), Length 1
    ],
)
def test_a_collection_on_the_left_filters_7_8_1(source: str, expected: list[int]) -> None:
    assert run(source) == expected


def test_null_comparisons_depend_on_the_side_7_8_1() -> None:
    """With $null on the left the result is a bool; with a collection on the left, the $null elements (§7.8.1)."""
    assert run("$null -eq $null; $null -ne 0; $null -eq ''") == [True, True, False]
    assert run("@(1, $null, 2 -eq $null).Count") == [1]
    assert run("$a = @(); $null -eq $a") == [False]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("10,20,30,20,10 -contains 20", True),
        ("10,20,30,20,10 -contains 42.9", False),
        ('10,20,30 -contains "10"', True),
        ('"10",20,30 -contains 10', True),
        ('"010",20,30 -contains 10', False),
        ("10,20,30,20,10 -notcontains 15", True),
        ('"Red",20,30 -ccontains "RED"', False),
        ("'a' -contains 'A'", True),  # a scalar is treated as an array of one element
    ],
)
def test_containment_operators_7_8_2(source: str, expected: bool) -> None:
    assert run(source) == [expected]


def test_type_testing_7_8_3() -> None:
    source = """
    $a = 10
    $a -is [int]
    $t = [int]
    $a -isnot $t
    $a -is "int"
    $a -isnot [double]
    $a = "abcd"
    $a -is [Object]
    """
    assert run(source) == [True, False, True, True, True]


def test_type_testing_of_collections_and_null_7_8_3() -> None:
    source = """
    $h = @{}; $o = [ordered]@{}
    $h -is [System.Collections.IDictionary]; $o -is [System.Collections.IDictionary]
    @(1) -is [System.Array]; 'x' -is [System.Collections.IEnumerable]; $null -is [object]
    """
    assert run(source) == [True, True, True, True, False]


def test_match_and_notmatch_7_8_4_2() -> None:
    assert run('"Hello" -match ".l"; $Matches[0]') == [True, "el"]  # True, $Matches key/value is 0/"el"
    assert run('"abc" -notmatch "[A-Za-z]"') == [False]  # False
    assert run('"He" -match "h[aeiou]."') == [False]  # False, need at least 3 characters
    assert run('@("abc","abbcde","abcgh" -match "abc.*")') == ["abc", "abcgh"]  # Length is 2
    assert run('"red" -match "((r)e)(d)"; $Matches[1]; $Matches[2]; $Matches[3]') == [True, "re", "r", "d"]  # §7.8.4.6


def test_match_is_case_insensitive_and_cmatch_is_not_7_8() -> None:
    assert run("'ABC' -match '^abc$'; 'ABC' -cmatch '^abc$'") == [True, False]


def test_dotnet_end_of_string_anchor_3_16() -> None:
    r"""``\z`` is .NET's end of input: a final newline does not match it (the runner's name patterns use it)."""
    assert run("'Get-CsTenant' -match '^[A-Za-z]+-[A-Za-z0-9]+\\z'") == [True]
    assert run("\"Get-CsTenant`n\" -match '^[A-Za-z]+-[A-Za-z0-9]+\\z'") == [False]


def test_binary_join_7_8_4_4() -> None:
    assert run('(10, 20, 30) -join "|"') == ["10|20|30"]  # result is "10|20|30"
    assert run('12345 -join ","') == ["12345"]  # result is "12345", no separator needed
    assert run('($null,$null) -join "<->"') == ["<->"]  # result is "<->", two zero-length values


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"__{0,3}__" -f 5', "__  5__"),  # width 3 (the specification's page collapses the two spaces)
        ('"__{0,-3}__" -f 5', "__5  __"),
        ('$i = 5; $j = 3; "__{0} + {1} <= {2}__" -f $i,$j,($i+$j)', "__5 + 3 <= 8__"),
        ('$format = "__0x{0:X8}__"; $format -f 65535', "__0x0000FFFF__"),
        ("'\\u{0:x4}' -f 233", "\\u00e9"),  # the runner's escape of non-ASCII characters
    ],
)
def test_format_operator_7_5(source: str, expected: str) -> None:
    assert run(source) == [expected]


def test_logical_operators_short_circuit_7_10() -> None:
    source = """
    $j = 10
    ($j -lt 5) -and ($k = 1)
    $k
    ($j -eq 10) -or (throw 'not evaluated')
    """
    assert run(source) == [False, None, True]


def test_string_concatenation_and_array_concatenation_7_7() -> None:
    assert run('"red" + 12; (1,2) + 3') == ["red12", 1, 2, 3]


def test_bitwise_or_7_9() -> None:
    assert value("0x0F -bor 0xF0") == 255


def test_unary_not_6_2_and_7_2_2() -> None:
    assert run("-not ''; -not 'false'; !0; -not @(0); -not @(0, 0)") == [True, False, True, True, False]
