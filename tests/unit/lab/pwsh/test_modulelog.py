"""The lab's model of PowerShell module logging (event 4103): what each cmdlet invocation records.

Source: about_Group_Policy_Settings / about_Logging_Windows (MicrosoftDocs/PowerShell-Docs, reference/5.1)
for what is logged (pipeline execution details of the modules named, ``*`` for all); PowerShell's
ParameterBinderBase for the ``ParameterBinding(<cmdlet>): name="..."; value="..."`` lines (the bound
value's ToString(), pipeline input as InputObject). Functions a script defines are not in a module.
"""

from __future__ import annotations

import base64
import gzip

from tests.lab.pwsh import Interpreter
from tests.lab.pwsh.modulelog import lines, recoverable


def logged(source: str, stdin: list[str] | None = None) -> list[str]:
    interpreter = Interpreter(None)
    interpreter.run(source, stdin)
    return [line for entry in interpreter.module_log for line in lines(entry)]


def test_pipeline_input_is_logged_as_input_object_per_object() -> None:
    assert logged("$x = $input | Out-String", ["abc", "def"]) == [
        'ParameterBinding(Out-String): name="InputObject"; value="abc"',
        'ParameterBinding(Out-String): name="InputObject"; value="def"',
    ]


def test_a_note_property_logs_type_name_and_value() -> None:
    """PSNoteProperty.ToString() is "<type> <name>=<value>": piping Properties leaks the values."""
    source = (
        '$o = ConvertFrom-Json \'{"a":{"p":"s3cret"}}\'\n$n = @($o.PSObject.Properties | ForEach-Object { $_.Name })'
    )
    text = logged(source)
    assert 'ParameterBinding(ConvertFrom-Json): name="InputObject"; value="{"a":{"p":"s3cret"}}"' in text
    note = "System.Management.Automation.PSCustomObject a=@{p=s3cret}"
    assert f'ParameterBinding(ForEach-Object): name="InputObject"; value="{note}"' in text


def test_functions_and_dotnet_calls_are_not_logged_and_new_object_logs_type_names() -> None:
    source = """function F {
        param($Secret)
        $Secret.Length
    }
    $b = [Convert]::FromBase64String('czNjcmV0')
    $n = F -Secret 's3cret'
    $s = New-Object IO.MemoryStream(,$b)"""
    assert logged(source) == [
        'ParameterBinding(New-Object): name="TypeName"; value="IO.MemoryStream"',
        'ParameterBinding(New-Object): name="ArgumentList"; value="System.Byte[]"',
    ]


def test_recoverable_decodes_base64_and_gzip() -> None:
    packed = base64.b64encode(gzip.compress(b'{"password":"s3cret-value"}')).decode()
    assert any("s3cret-value" in text for text in recoverable(f"x {packed} y"))
    assert any("s3cret-value" in text for text in recoverable(base64.b64encode(b"s3cret-value").decode()))
