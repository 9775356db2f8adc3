"""The .NET members the scripts use: documented behaviour and overload resolution (§3.7)."""

from __future__ import annotations

import base64
import gzip

import pytest

from tests.lab.cmdlets.base import PSError
from tests.lab.pwsh import Interpreter
from tests.lab.values import Credential, Secure
from tests.unit.lab.pwsh.support import run, value

STREAM = "(New-Object IO.MemoryStream(,[Convert]::FromBase64String('{b64}')))"


def _gzip_b64(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode("utf-8"))).decode()


def test_bootstrap_style_decoding_reads_gzip_base64() -> None:
    """GZipStream(Stream, CompressionMode) + StreamReader.ReadToEnd, as bootstrap.ps1 chains them."""
    stream = STREAM.format(b64=_gzip_b64("héllo"))
    source = f"""$z = New-Object IO.Compression.GZipStream({stream},([IO.Compression.CompressionMode]::Decompress))
    (New-Object IO.StreamReader($z)).ReadToEnd()"""
    assert run(source) == ["héllo"]


def test_gzipstream_with_a_string_mode_is_ambiguous_3_7_2() -> None:
    """A string converts to CompressionMode and to CompressionLevel equally well (§3.7.5), and .NET Framework
    4.5+ has GZipStream(Stream, CompressionMode) and GZipStream(Stream, CompressionLevel): no best method."""
    stream = STREAM.format(b64=_gzip_b64("x"))
    with pytest.raises(PSError) as caught:
        run(f"New-Object IO.Compression.GZipStream({stream}, 'Decompress')")
    record = caught.value.record
    assert record.message == 'Multiple ambiguous overloads found for "GZipStream" and the argument count: "2".'
    assert record.fqid == "ConstructorInvokedThrowException,Microsoft.PowerShell.Commands.NewObjectCommand"
    assert record.exception == "System.Management.Automation.MethodException"


def test_memorystream_without_the_unary_comma_spreads_the_bytes_over_the_arguments() -> None:
    """New-Object's -ArgumentList is object[]: a byte[] becomes one argument per byte (hence `,` in the bootstrap)."""
    with pytest.raises(PSError) as caught:
        run("New-Object IO.MemoryStream([Convert]::FromBase64String('AAECAwQF'))")
    assert caught.value.record.message == 'Cannot find an overload for "MemoryStream" and the argument count: "6".'


def test_from_base64_string_rejects_other_characters() -> None:
    with pytest.raises(PSError) as caught:
        run("[Convert]::FromBase64String('not base64!')")
    assert caught.value.record.message.startswith('Exception calling "FromBase64String" with "1" argument(s): ')
    assert caught.value.record.exception == "System.Management.Automation.MethodInvocationException"


def test_read_to_end_of_data_that_is_not_gzip() -> None:
    stream = STREAM.format(b64=base64.b64encode(b"plain text").decode())
    source = f"$z = New-Object IO.Compression.GZipStream({stream},([IO.Compression.CompressionMode]::Decompress))\n"
    source += "(New-Object IO.StreamReader($z)).ReadToEnd()"
    with pytest.raises(PSError, match="The magic number in GZip header is not correct"):
        run(source)


def test_secure_string_and_credential() -> None:
    source = """
    $s = New-Object System.Security.SecureString
    foreach ($c in 'pw'.ToCharArray()) { $s.AppendChar($c) }
    $s.MakeReadOnly()
    New-Object System.Management.Automation.PSCredential('user', $s)
    """
    (credential,) = run(source)
    assert credential == Credential("user", "pw")
    with pytest.raises(PSError, match="Instance is read-only"):
        run("$s = New-Object System.Security.SecureString; $s.MakeReadOnly(); $s.AppendChar('x')")


def test_credential_constructor_arity_and_empty_user() -> None:
    with pytest.raises(PSError) as caught:
        run("New-Object System.Management.Automation.PSCredential('user', 'a', 'b')")
    assert caught.value.record.message == 'Cannot find an overload for "PSCredential" and the argument count: "3".'
    with pytest.raises(PSError) as caught:
        run("New-Object System.Management.Automation.PSCredential('', (New-Object System.Security.SecureString))")
    assert caught.value.record.message.startswith('Exception calling ".ctor" with "2" argument(s): ')
    with pytest.raises(PSError, match='Cannot convert argument "password"'):
        run("New-Object System.Management.Automation.PSCredential('user', 'plain')")


def test_math_round_to_digits() -> None:
    assert value("[math]::Round(2.34567, 3)") == 2.346


def test_gettype_fullname_and_isprimitive() -> None:
    assert run("(1).GetType().FullName; 'a'.GetType().IsPrimitive; (1.5).GetType().IsPrimitive") == [
        "System.Int32",
        False,
        True,
    ]


def test_psversiontable() -> None:
    assert Interpreter(None, ps_version="4.0").run("[string]$PSVersionTable.PSVersion") == ["4.0"]


def test_stopwatch_elapsed_total_seconds() -> None:
    elapsed = value("$c = [System.Diagnostics.Stopwatch]::StartNew(); $c.Elapsed.TotalSeconds")
    assert isinstance(elapsed, float) and 0 <= elapsed < 5


def test_script_block_create_goes_through_the_gate() -> None:
    seen: list[str] = []
    interpreter = Interpreter(None, seen.append)
    assert interpreter.run("& ([ScriptBlock]::Create('param($a) \"got $a\"')) -a 1") == ["got 1"]
    assert seen == ['param($a) "got $a"']


def test_secure_values_are_masked_in_their_string_form() -> None:
    assert str(Secure("pw")) == "System.Security.SecureString"


def test_a_password_outside_the_bmp_survives_the_char_by_char_securestring() -> None:
    """String.ToCharArray yields UTF-16 code units (a surrogate pair for U+1F600); SecureString.AppendChar
    stores them; PSCredential carries the same UTF-16 password, so the service sees the original text."""
    source = """$s = New-Object System.Security.SecureString
    foreach ($c in 'a\U0001f600b'.ToCharArray()) { $s.AppendChar($c) }
    'a\U0001f600b'.ToCharArray().Count
    New-Object System.Management.Automation.PSCredential('u', $s)"""
    count, credential = run(source)
    assert count == 4
    assert isinstance(credential, Credential) and credential.password == "a\U0001f600b"
