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


MOVER = "mover@fabrikam.onmicrosoft.com"


def hostile_mover(data: dict[str, t.Any]) -> None:
    """sfb2019-move with the hostile password for the WinRM account and for the tenant admin that moves users."""
    data["host"]["accounts"][0]["password"] = PASSWORD
    (mover,) = [admin for admin in data["tenant"]["admins"] if admin["user"] == MOVER]
    mover["password"] = PASSWORD
    data["inventory"]["lync_move_users_password"] = PASSWORD


def move_users(lab: Lab, users: pathlib.Path, *args: str, **env: str) -> t.Any:
    command = ["ansible-playbook", "playbooks/move_users.yml", "-i", str(lab.inventory)]
    return run(
        [*command, "-e", f"lync_move_users_file={users}", "-e", "lync_online_prereqs_report_html=true", *args], **env
    )


def test_hostile_password_moves_users_and_never_shows(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """cs_user_move: the tenant admin's password goes to Move-CsUser -Credential in every batch, by stdin only."""
    lab = lab_factory(state_variant(tmp_path, "sfb2019-move", hostile_mover))
    assert lab.inventory_vars()["ansible_password"] == PASSWORD
    assert lab.inventory_vars()["lync_move_users_password"] == PASSWORD
    first, second = tmp_path / "wave1.txt", tmp_path / "wave2.txt"
    first.write_text("ann@fabrikam.com\nbob@fabrikam.com\n", encoding="utf-8")
    second.write_text("carla@fabrikam.com\ndan@fabrikam.com\n", encoding="utf-8")

    verbose = move_users(lab, first, "-vvvvvv")
    assert verbose.returncode == 0, verbose.stdout[-3000:] + verbose.stderr
    reports = {
        name: (lab.workdir / "reports" / name).read_text(encoding="utf-8")
        for name in ("lync-move-users.md", "lync-move-users.html", "lync-online-prereqs.md", "lync-online-prereqs.html")
    }
    as_json = move_users(lab, second, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    assert as_json.returncode == 0, as_json.stdout[-3000:] + as_json.stderr
    final = lab.stop()

    # Both logons worked: the WinRM account (NTLM) and the tenant admin (stdin -> Move-CsUser -Credential).
    homed = {u["sip_address"]: u["registrar_pool"] for u in final["deployment"]["users"]}
    assert [homed[f"sip:{name}@fabrikam.com"] for name in ("ann", "bob", "carla", "dan")] == [
        "pool01.fabrikam.local"
    ] * 4
    moves = [e for e in lab.journal("cmdlet") if e["name"] == "Move-CsUser"]
    assert [e["params"]["Identity"] for e in moves] == [f"{n}@fabrikam.com" for n in ("ann", "bob", "carla", "dan")]
    assert all(e["params"]["Credential"] == MASK for e in moves)

    for command in (e for e in lab.journal("wsman") if e.get("action") == "Command"):
        assert command["command_line"] == BOOTSTRAP.strip()

    journal = lab.journal_path.read_text(encoding="utf-8")
    assert_absent("the journal file", journal)
    masked = {
        (e["event"], e.get("name"))
        for e in lab.journal()
        if MASK in json.dumps(e, ensure_ascii=False) and not modulelog.runner_text_only(e, RUNNER, MASK)
    }
    assert masked == {("cmdlet", "Move-CsUser")}

    logged = lab.journal("module_log")
    assert "Move-CsUser" in {e["cmdlet"] for e in logged}
    for event in logged:
        for binding in event["bindings"]:
            for text in modulelog.recoverable(binding["value"]):
                assert_absent(f"module logging of {event['cmdlet']} -{binding['name']}", text)

    assert_absent("the -vvvvvv output", verbose.stdout + verbose.stderr)
    assert "WINRM EXEC" in verbose.stdout and "WINRM RESULT" in verbose.stdout
    results = json.loads(as_json.stdout)
    assert_absent("the task results", json.dumps(results, ensure_ascii=False))
    assert_absent("the json callback's stderr", as_json.stderr)
    move = next(
        task
        for play in results["plays"]
        for task in play["tasks"]
        if task["task"]["name"].startswith("Move the users of each pool")
    )
    (host_result,) = move["hosts"].values()
    assert [u["status"] for r in host_result["results"] for u in r["users"]] == ["moved", "moved"]

    for name, text in reports.items():
        assert "ann@fabrikam.com" in text or "lync-online-prereqs" in name
        assert_absent(f"the report {name}", text)
    for suffix in ("md", "html"):
        assert_absent(
            f"the second move report ({suffix})", (lab.workdir / "reports" / f"lync-move-users.{suffix}").read_text()
        )
