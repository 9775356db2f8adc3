"""The lab host accepts only the collection's bootstrap + runner and refuses everything else like Windows would."""

from __future__ import annotations

import base64
import gzip
import json

from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import _clixml_text

from tests.unit.lab.host_support import Lab, bootstrap, pack, payload, request, runner_text, step


def stderr_text(result) -> str:
    assert result.stderr.startswith(b"#< CLIXML"), result.stderr[:60]
    return _clixml_text(result.stderr.decode("utf-8"))


def test_bootstrap_and_runner_are_run() -> None:
    lab = Lab("lync2013-ready")
    response = lab.run(request([step("version", "Get-CsServerVersion")], onprem=["SkypeForBusiness", "Lync"]))
    assert response["steps"][0]["output"] == ["Lync Server 2013 (5.0.8308.0): Volume license key installed."]
    (event,) = lab.events("command")
    assert event["accepted"] is True and "ConvertFrom-Json" in event["command"]


def test_other_scripts_fail_like_an_unknown_command() -> None:
    lab = Lab("lync2013-ready")
    result = lab.raw("hostname")
    assert (result.rc, result.stdout) == (1, b"")
    text = stderr_text(result)
    assert "The term 'hostname' is not recognized as the name of a cmdlet" in text
    assert "FullyQualifiedErrorId : CommandNotFoundException" in text
    assert lab.events("command", accepted=False)


def test_the_first_command_of_a_script_is_named() -> None:
    result = Lab("lync2013-ready").raw("$ErrorActionPreference = 'Stop'\nGet-ChildItem C:\\ | Remove-Item")
    assert "The term 'Get-ChildItem' is not recognized" in stderr_text(result)


def test_other_programs_fail_like_cmd() -> None:
    result = Lab("lync2013-ready").host.run_command("whoami", ["/all"], b"")
    assert result.rc == 1 and b"is not recognized as an internal or external command" in result.stderr


def test_modified_runner_is_refused() -> None:
    lab = Lab("lync2013-ready")
    result = lab.send(request([]), runner=runner_text() + "\n# one more line\n")
    assert (result.rc, result.stdout) == (1, b"")
    assert "only runs the lync.hybrid runner" in stderr_text(result)
    assert lab.events("command", accepted=False, reason="runner differs from runner.ps1")


def test_stdin_must_be_base64() -> None:
    lab = Lab("lync2013-ready")
    result = lab.raw(bootstrap(), b'{"runner": 1}')
    assert result.rc == 1 and 'Exception calling "FromBase64String"' in stderr_text(result)
    assert lab.events("command", accepted=False, reason="stdin is not base64")


def test_stdin_must_be_gzip() -> None:
    lab = Lab("lync2013-ready")
    result = lab.raw(bootstrap(), base64.b64encode(b'{"runner": 1}'))
    assert result.rc == 1 and "The magic number in GZip header is not correct" in stderr_text(result)
    assert lab.events("command", accepted=False, reason="stdin is not gzip")


def test_stdin_must_hold_json() -> None:
    result = Lab("lync2013-ready").raw(bootstrap(), pack("runner=1"))
    assert result.rc == 1 and "ConvertFrom-Json : Invalid JSON primitive" in stderr_text(result)


def test_keys_differing_only_in_case_are_refused_like_convertfrom_json() -> None:
    document = json.loads(gzip.decompress(base64.b64decode(payload(request([])))))
    document["request"]["Steps"] = []
    result = Lab("lync2013-ready").raw(bootstrap(), pack(document))
    assert result.rc == 1 and "duplicated keys 'steps' and 'Steps'" in stderr_text(result)


def test_missing_request_is_a_binding_error() -> None:
    result = Lab("lync2013-ready").raw(bootstrap(), pack({"runner": runner_text()}))
    assert result.rc == 1 and "parameter 'Request' because it is null" in stderr_text(result)


def test_bootstrap_whitespace_is_normalized_like_ansible() -> None:
    lab = Lab("lync2013-ready")
    result = lab.raw("   " + bootstrap() + "   \n\n", payload(request([])))
    assert result.rc == 0 and result.stdout.startswith(b"#LYNC-HYBRID-RESULT#")
