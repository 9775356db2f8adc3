"""The controller side of the wire protocol (docs/architecture.md)."""

from __future__ import annotations

import base64
import gzip
import json
import types

import pytest
from ansible.errors import AnsibleActionFail
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader, shell_loader
from ansible_collections.lync.hybrid.plugins.plugin_utils import _runner

SECRET = "p@ss 'w\"$`;&\u00e9\u4e2d"


def _request() -> _runner.Request:
    return _runner.Request(
        onprem_modules=("SkypeForBusiness", "Lync"),
        online=(
            _runner.OnlineSession(
                module="MicrosoftTeams",
                connect_cmdlet="Connect-MicrosoftTeams",
                connect_params={"Credential": _runner.credential("admin@contoso.com", SECRET)},
                import_session=False,
                disconnect="Disconnect-MicrosoftTeams",
            ),
        ),
        steps=(
            _runner.Step("before", "Get-CsTenantFederationConfiguration", scope="online", select=("Identity",)),
            _runner.Step(
                "set",
                "Set-CsTenantFederationConfiguration",
                {"Identity": "Global"},
                scope="online",
                when_differs={"step": "before", "values": {"SharedSipAddressSpace": True}},
            ),
        ),
    )


def test_payload_is_ascii_and_round_trips_secrets() -> None:
    payload = _runner.encode_payload(_request())
    payload.decode("ascii")  # raises if any byte is not ASCII
    assert SECRET.encode("utf-8") not in payload
    # Line 1 carries the request with a reference where the password was; line 2 the password itself.
    request_line, secret_line = payload.split(b"\r\n")
    data = json.loads(gzip.decompress(base64.b64decode(request_line, validate=True)))
    assert SECRET not in json.dumps(data, ensure_ascii=False)
    assert base64.b64decode(secret_line, validate=True) == b"\x01" + SECRET.encode("utf-8")
    assert data["runner"] == _runner.runner_script()
    connect = data["request"]["online"][0]["connect"]
    assert connect["params"]["Credential"]["$credential"]["password"] == {"$secret": 0}
    decoded = _runner.decode_payload(payload)
    assert decoded["request"]["online"][0]["connect"]["params"]["Credential"]["$credential"]["password"] == SECRET
    assert data["request"]["steps"][0]["select"] == ["Identity"]
    assert data["request"]["steps"][1]["when_differs"]["values"] == {"SharedSipAddressSpace": True}


def test_bootstrap_carries_no_data() -> None:
    assert SECRET not in _runner.bootstrap_script()
    assert "\n" not in _runner.bootstrap_script()


def test_payload_is_compressed() -> None:
    """The runner is most of what a task sends; compressed it is about a third of its text."""
    payload = _runner.encode_payload(_request())
    assert len(payload) < len(_runner.runner_script()) / 2


def _wire(**overrides: object) -> str:
    body = {
        "protocol": 1,
        "ps_version": "5.1.17763.1",
        "onprem": {"name": "SkypeForBusiness", "version": "7.0.0.0"},
        "online": {
            "module": "MicrosoftTeams",
            "connected": True,
            "closed": True,
            "module_version": "6.1.0",
            "seconds": 1.5,
            "close_error": None,
        },
        "steps": [
            {"id": "before", "status": "ok", "output": [{"SharedSipAddressSpace": False}], "error": None, "sent": []},
            {
                "id": "set",
                "status": "error",
                "output": [],
                "sent": ["Identity", "SharedSipAddressSpace"],
                "error": {"message": "boom", "fqid": "X,Y", "category": "InvalidOperation", "exception": "E"},
            },
        ],
        "error": None,
    }
    body.update(overrides)
    return "noise before\r\n" + _runner.MARKER + json.dumps(body)


def test_parse_output_reads_steps_and_errors() -> None:
    response = _runner.parse_output(_wire(), "", 0)
    assert response.ps_version == "5.1.17763.1"
    assert response.online is not None and response.online.closed
    assert response.step("before").first() == {"SharedSipAddressSpace": False}
    failed = response.step("set")
    assert not failed.ok
    assert failed.sent == ("Identity", "SharedSipAddressSpace")
    assert failed.error is not None and failed.error.to_result() == {
        "message": "boom",
        "fqid": "X,Y",
        "category": "InvalidOperation",
        "exception": "E",
    }


def test_parse_output_top_level_error_keeps_stage() -> None:
    response = _runner.parse_output(_wire(error={"stage": "online", "message": "AADSTS50126"}, steps=[]), "", 0)
    assert response.error is not None and response.error.stage == "online"
    with pytest.raises(_runner.RunnerFailure, match="no result for step 'before'"):
        response.step("before")


def test_missing_marker_shows_powershell_error_text() -> None:
    clixml = (
        '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
        "<S S=\"Error\">The term 'x' is not recognized_x000D__x000A_</S></Objs>"
    )
    with pytest.raises(_runner.RunnerFailure, match=r"rc=1\): The term 'x' is not recognized"):
        _runner.parse_output("", clixml, 1)


@pytest.mark.parametrize("stdout", [_runner.MARKER + "{not json", _runner.MARKER + '{"protocol": 99}'])
def test_malformed_response_is_a_clear_failure(stdout: str) -> None:
    with pytest.raises(_runner.RunnerFailure, match="runner response"):
        _runner.parse_output(stdout, "", 0)


def test_non_powershell_shell_is_refused_before_sending() -> None:
    sent = []
    action = types.SimpleNamespace(
        _connection=types.SimpleNamespace(_shell=types.SimpleNamespace(SHELL_FAMILY="sh")),
        _low_level_execute_command=lambda *a, **k: sent.append(a),
    )
    with pytest.raises(AnsibleActionFail, match="'sh' shell"):
        _runner.execute(action, _request())  # type: ignore[arg-type]
    assert sent == []


def _action_on(shell: object, sent: list[tuple[object, ...]], transport: str = "winrm") -> types.SimpleNamespace:
    """An action whose connection has ``shell``; what it would send is collected, not sent."""

    def execute(*args: object, **kwargs: object) -> dict[str, object]:
        sent.append(args)
        return {"stdout": _runner.MARKER + '{"protocol": 1}', "stderr": "", "rc": 0}

    connection = types.SimpleNamespace(_shell=shell, transport=transport)
    return types.SimpleNamespace(_connection=connection, _low_level_execute_command=execute)


def test_the_shell_the_winrm_connection_selects_is_accepted() -> None:
    # ansible-core 2.21 gives winrm the 'cmd' shell (a PowerShell subclass), earlier releases
    # the 'powershell' one: whichever this ansible-core picks must pass.
    winrm = connection_loader.get("winrm", PlayContext(), None)
    sent: list[tuple[object, ...]] = []
    _runner.execute(_action_on(winrm._shell, sent), _request())  # type: ignore[arg-type]
    assert len(sent) == 1


@pytest.mark.parametrize("name", ["powershell", "cmd"])
def test_every_powershell_family_shell_is_accepted(name: str) -> None:
    shell = shell_loader.get(name)
    assert _runner.is_powershell_family(shell)
    sent: list[tuple[object, ...]] = []
    _runner.execute(_action_on(shell, sent), _request())  # type: ignore[arg-type]
    assert len(sent) == 1


@pytest.mark.parametrize("name", ["sh"])
def test_posix_shells_are_refused_before_sending(name: str) -> None:
    sent: list[tuple[object, ...]] = []
    with pytest.raises(AnsibleActionFail, match=f"'{name}' shell"):
        _runner.execute(_action_on(shell_loader.get(name), sent), _request())  # type: ignore[arg-type]
    assert sent == []


def test_psrp_is_refused_before_sending() -> None:
    psrp = connection_loader.get("psrp", PlayContext(), None)
    sent: list[tuple[object, ...]] = []
    action = types.SimpleNamespace(_connection=psrp, _low_level_execute_command=lambda *a, **k: sent.append(a))
    with pytest.raises(AnsibleActionFail) as failure:
        _runner.execute(action, _request())  # type: ignore[arg-type]
    assert str(failure.value).startswith("lync.hybrid modules do not run over the 'psrp' connection: ")
    assert "Use ansible_connection=winrm" in str(failure.value)
    assert sent == []


def test_ssh_is_refused_before_sending_even_with_the_powershell_shell() -> None:
    ssh = connection_loader.get("ssh", PlayContext(), None)
    ssh._shell = shell_loader.get("powershell")  # ansible_shell_type=powershell, as Windows over SSH is configured
    sent: list[tuple[object, ...]] = []
    action = types.SimpleNamespace(_connection=ssh, _low_level_execute_command=lambda *a, **k: sent.append(a))
    with pytest.raises(AnsibleActionFail) as failure:
        _runner.execute(action, _request())  # type: ignore[arg-type]
    message = str(failure.value)
    assert message.startswith("lync.hybrid modules do not run over the 'ssh' connection: its command line reaches")
    assert "DefaultShell is powershell.exe" in message and "Use ansible_connection=winrm" in message
    assert sent == []


def test_a_null_password_is_refused_not_sent_as_none() -> None:
    with pytest.raises(AnsibleActionFail, match=r"No value for the password of admin@contoso.com \(it is null\)"):
        _runner.credential("admin@contoso.com", None)  # type: ignore[arg-type]
    # A credential built by hand with a null password is refused when the payload is encoded, before sending.
    step = _runner.Step("s", "Get-Thing", {"Credential": {"$credential": {"username": "u", "password": None}}})
    with pytest.raises(AnsibleActionFail, match="nothing was sent to the host"):
        _runner.encode_payload(_runner.Request(steps=(step,)))
    secure = _runner.Step("s", "Get-Thing", {"Token": {"$secure": None}})
    with pytest.raises(AnsibleActionFail, match="nothing was sent to the host"):
        _runner.encode_payload(_runner.Request(steps=(secure,)))


def test_arrays_wrapped_by_windows_powershell_5_1_are_unwrapped() -> None:
    # What ConvertTo-Json writes on 5.1 for PSObject-wrapped arrays: the steps list, a step's
    # output and a property value inside it.
    wrapped = {
        "protocol": 1,
        "steps": {
            "value": [
                {
                    "id": "read",
                    "status": "ok",
                    "output": {"value": [{"Name": "a", "Roles": {"value": ["x", "y"], "Count": 2}}], "Count": 1},
                    "sent": {"value": ["Identity"], "Count": 1},
                }
            ],
            "Count": 1,
        },
    }
    response = _runner.parse_output(_runner.MARKER + json.dumps(wrapped), "", 0)
    step = response.step("read")
    assert step.output == [{"Name": "a", "Roles": ["x", "y"]}]
    assert step.sent == ("Identity",)


@pytest.mark.parametrize(
    "kept",
    [
        {"value": [1, 2], "Count": 3},  # the count does not match: an object that happens to have both names
        {"value": [1], "Count": 1, "Other": True},
        {"value": "text", "Count": 4},
    ],
)
def test_objects_that_only_look_wrapped_are_kept(kept: dict[str, object]) -> None:
    assert _runner.unwrap_arrays({"x": kept}) == {"x": kept}
