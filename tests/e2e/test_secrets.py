"""A hostile password end to end: it must arrive intact and appear nowhere else.

The password has both quotes, ``$``, a PowerShell sub-expression, backticks, ``;``, ``&``,
``|``, ``%``, spaces and non-ASCII (é, 中, an emoji outside the BMP). A derived
lync2013-ready state makes it the password of the WinRM account AND of the tenant admin
(legacy connector, credential logon), so it crosses both paths: NTLM for the connection,
the runner's stdin for ``New-CsOnlineSession -Credential``. The lab compares what it
receives with the state, so a successful logon proves the password round-tripped intact.

Then it must not appear -- raw or in any encoding a leak would take (JSON escapes,
PowerShell quoting, base64 of UTF-8 or UTF-16-LE, a distinctive fragment) -- in:

* any command line the lab received (each WinRM Command is exactly the data-free
  bootstrap, compared whole, so the journal's own masking cannot hide a leak);
* what PowerShell module logging (event 4103) would record for every cmdlet the host ran
  (the lab's ``module_log`` events, base64 runs decoded);
* the journal file (raw text); and the journal's mask itself may appear only where the
  lab masks credentials by design (a cmdlet's ``Credential`` parameter);
* what ansible-playbook printed at the highest verbosity (``-vvvvvv``, which includes all
  of ``-vvvv`` plus pywinrm's command and raw output lines), stdout and stderr;
* every task result (a second run with the ``ansible.posix.json`` callback, from the ``ansible`` package);
* the readiness reports (Markdown and HTML).

ansible-core's winrm connection plugin never displays ``ansible_password``: at ``-vvv`` it
logs "ESTABLISH WINRM CONNECTION FOR USER: <user> on PORT <port> TO <host>", at
``-vvvvv`` the transport and endpoint, the shell id and the command line with its
arguments; the password only goes to the HTTP authentication (pyspnego). This test
holds the whole output to that, rather than allowing for it.
"""

from __future__ import annotations

import base64
import json
import pathlib
import typing as t

import pytest

from tests.e2e.lab import Lab, play_recap, run
from tests.e2e.lab_support import assert_sessions_closed, sessions, state_variant
from tests.lab.host import compact_runner, shipped
from tests.lab.journal import MASK
from tests.lab.pwsh import modulelog

pytestmark = pytest.mark.lab

# Begins and ends with canaries that nothing else prints, so a truncated leak is caught too.
PASSWORD = "Zq7Qv'\"$(whoami)`$env:X`;a&b|c %PATH% é 中 😀 Kw9Xm"
ADMIN = "admin@contoso.onmicrosoft.com"
BOOTSTRAP = (pathlib.Path(__file__).resolve().parents[2] / "plugins" / "plugin_utils" / "bootstrap.ps1").read_text(
    encoding="utf-8"
)

RUNNER = compact_runner(shipped("runner.ps1"))


def leaked_forms(secret: str) -> dict[str, str]:
    """The spellings a leak of ``secret`` would take in text."""
    return {
        "raw": secret,
        "JSON (ASCII escapes)": json.dumps(secret)[1:-1],
        "JSON (UTF-8)": json.dumps(secret, ensure_ascii=False)[1:-1],
        "PowerShell single-quoted": secret.replace("'", "''"),
        "base64 of UTF-8": base64.b64encode(secret.encode("utf-8")).decode(),
        "base64 of UTF-16-LE": base64.b64encode(secret.encode("utf-16-le")).decode(),
        "first canary": secret[:5],
        "last canary": secret[-5:],
    }


def assert_absent(where: str, text: str) -> None:
    found = [name for name, form in leaked_forms(PASSWORD).items() if form in text]
    assert found == [], f"the password appears in {where} ({', '.join(found)})"


def hostile(data: dict[str, t.Any]) -> None:
    data["host"]["accounts"][0]["password"] = PASSWORD
    data["tenant"]["admins"][0]["password"] = PASSWORD
    data["inventory"]["lync_online_prereqs_password"] = PASSWORD


def prereqs(lab: Lab, *args: str, **env: str) -> t.Any:
    command = ["ansible-playbook", "playbooks/prereqs.yml", "-i", str(lab.inventory)]
    return run([*command, "-e", "lync_online_prereqs_report_html=true", *args], **env)


def test_hostile_password_round_trips_and_never_shows(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory(state_variant(tmp_path, "lync2013-ready", hostile))
    assert lab.inventory_vars()["ansible_password"] == PASSWORD
    assert lab.inventory_vars()["lync_online_prereqs_password"] == PASSWORD

    verbose = prereqs(lab, "-vvvvvv")
    as_json = prereqs(lab, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    final = lab.stop()

    # Both logons worked: the WinRM account (NTLM) and the tenant admin (the runner's stdin).
    assert verbose.returncode == 0, verbose.stdout[-3000:] + verbose.stderr
    assert play_recap(verbose.stdout)["changed"] == 1, verbose.stdout[-3000:]
    assert as_json.returncode == 0, as_json.stdout[-3000:] + as_json.stderr
    authenticated = {e["auth_user"] for e in lab.journal("wsman") if e.get("auth_user")}
    assert authenticated == {"CONTOSO\\lab-admin"}
    assert [e["account"] for e in sessions(lab, "open")] == [ADMIN] * 2  # federation with the probe, two runs
    assert sessions(lab, "refused") == []
    assert final["tenant"]["federation"]["shared_sip_address_space"] is True
    assert_sessions_closed(lab, final)

    # Every command line is the data-free bootstrap; the data went on stdin.
    commands = [e for e in lab.journal("wsman") if e.get("action") == "Command"]
    assert len(commands) == 6
    for command in commands:
        assert command["command_line"] == BOOTSTRAP.strip()
        assert command["arguments"][:-1] == [
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "Unrestricted",
            "-EncodedCommand",
        ]
        assert command["arguments"][-1].endswith("base64 chars, decoded into command_line>")

    # The journal: nothing unmasked, and the mask only where the lab hides credentials by design.
    journal = lab.journal_path.read_text(encoding="utf-8")
    assert_absent("the journal file", journal)
    masked = [
        (e["event"], e.get("name"))
        for e in lab.journal()
        if MASK in json.dumps(e, ensure_ascii=False) and not modulelog.runner_text_only(e, RUNNER, MASK)
    ]
    assert masked == [("cmdlet", "New-CsOnlineSession")] * 2
    for event in lab.journal("cmdlet"):
        if event["name"] == "New-CsOnlineSession":
            assert event["params"]["Credential"] == MASK

    # Module logging (event 4103, often forwarded to a SIEM): no cmdlet got the password as a parameter or as
    # pipeline input, in any spelling or inside any base64 (gzip or not) a reader could decode.
    logged = lab.journal("module_log")
    assert {"ConvertFrom-Json", "New-Object", "New-CsOnlineSession"} <= {e["cmdlet"] for e in logged}
    for event in logged:
        for binding in event["bindings"]:
            for text in modulelog.recoverable(binding["value"]):
                assert_absent(f"module logging of {event['cmdlet']} -{binding['name']}", text)

    assert_absent("the -vvvvvv output", verbose.stdout + verbose.stderr)
    assert "ESTABLISH WINRM CONNECTION FOR USER: CONTOSO\\lab-admin" in verbose.stdout
    assert "WINRM EXEC" in verbose.stdout and "WINRM RESULT" in verbose.stdout

    results = json.loads(as_json.stdout)
    tasks = [task for play in results["plays"] for task in play["tasks"]]
    assert len(tasks) >= 10
    assert_absent("the task results", json.dumps(results, ensure_ascii=False))
    assert_absent("the json callback's stderr", as_json.stderr)
    federation = next(
        task for task in tasks if task["task"]["name"].endswith("shares the SIP address space with on-premises")
    )
    (host_result,) = federation["hosts"].values()
    assert host_result["changed"] is False and host_result["federation"]["SharedSipAddressSpace"] is True

    for suffix in ("md", "html"):
        text = (lab.workdir / "reports" / f"lync-online-prereqs.{suffix}").read_text(encoding="utf-8")
        assert "SharedSipAddressSpace" in text
        assert_absent(f"the {suffix} report", text)
