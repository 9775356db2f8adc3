"""What real Windows hosts differ in, end to end: PowerShell and .NET versions, the second hop, the display language.

Each test runs real ansible-playbook over WinRM (NTLM, encrypted) against a lab state that models the
behaviour (docs/lab.md, fidelity notes) and reads the registered results back from the output.
"""

from __future__ import annotations

import json
import pathlib
import typing as t

import pytest

from tests.e2e.lab import Lab, play_recap, run
from tests.e2e.lab_support import playbook, state_variant

pytestmark = pytest.mark.lab


def results(lab: Lab, tmp_path: pathlib.Path, tasks: list[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    """Run module tasks (each registered, errors ignored) and return their results by register name."""
    play: list[dict[str, t.Any]] = []
    for task in tasks:
        name = task.pop("register")
        play.append({**task, "name": name, "register": name, "ignore_errors": True})
        play.append(
            {"name": f"show {name}", "ansible.builtin.debug": {"msg": f"RESULT {name}={{{{ {name} | to_json }}}}"}}
        )
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, tasks=play))])
    assert out.returncode == 0, out.stdout + out.stderr
    assert play_recap(out.stdout)["unreachable"] == 0
    found = {}
    for line in out.stdout.splitlines():
        if '"msg": "RESULT ' in line:
            text = json.loads("{" + line.strip().rstrip(",") + "}")["msg"][len("RESULT ") :]
            name, _sep, value = text.partition("=")
            found[name] = json.loads(value)
    return found


def check(result: dict[str, t.Any], check_id: str) -> dict[str, t.Any]:
    return next(c for c in result["ansible_facts"]["cs_deployment"]["checks"] if c["id"] == check_id)


# --- item: MicrosoftTeams needs Windows PowerShell 5.1 and .NET Framework 4.7.2 ----------------------


@pytest.mark.parametrize(
    ("host", "reason", "words"),
    [
        ({"powershell_version": "4.0"}, "powershell_too_old", "needs Windows PowerShell 5.1"),
        ({"dotnet_release": 460805}, "dotnet_too_old", "needs .NET Framework 4.7.2"),
    ],
)
def test_teams_is_not_copied_to_a_host_that_cannot_import_it(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, host: dict[str, t.Any], reason: str, words: str
) -> None:
    lab = lab_factory(state_variant(tmp_path, "connector-sources", lambda data: data["host"].update(host)))
    found = results(
        lab,
        tmp_path,
        [
            {"lync.hybrid.cs_deployment_facts": {"gather_subset": ["connectors"]}, "register": "facts"},
            {"lync.hybrid.cs_online_connector": {"source": r"C:\Offline", "version": "6.1.0"}, "register": "folder"},
            {"lync.hybrid.cs_online_connector": {"source": "InternalGallery"}, "register": "gallery"},
        ],
    )
    for name in ("folder", "gallery"):
        assert found[name]["failed"] is True and found[name]["reason"] == reason, found[name]
        assert words in found[name]["msg"]
    assert check(found["facts"], "powershell_version")["passed"] is False
    assert "every MicrosoftTeams release since 1.1.4" in check(found["facts"], "powershell_version")["detail"]
    assert lab.journal("change") == []
    assert not [e for e in lab.journal("cmdlet") if e["name"] in ("Copy-Item", "Install-Module", "New-Item")]


# --- item: the second hop on Enterprise Edition ----------------------------------------------------


@pytest.mark.parametrize("delegation", [False, True])
def test_enterprise_pool_reads_what_it_can_and_names_the_second_hop(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, delegation: bool
) -> None:
    def change(data: dict[str, t.Any]) -> None:
        data["host"].update(credential_delegation=delegation)

    lab = lab_factory(state_variant(tmp_path, "sfb2019-enterprise", change))
    found = results(lab, tmp_path, [{"lync.hybrid.cs_deployment_facts": {}, "register": "facts"}])["facts"]
    facts = found["ansible_facts"]["cs_deployment"]
    # -LocalStore reads work either way: the topology, the hosting provider, the Access Edge.
    assert facts["topology_published"] is True
    assert check(found, "hosting_provider")["passed"] and check(found, "access_edge")["passed"]
    localstore = [e for e in lab.journal("cmdlet") if e["params"].get("LocalStore")]
    assert {e["name"] for e in localstore} == {
        "Get-CsTopology",
        "Get-CsHostingProvider",
        "Get-CsAccessEdgeConfiguration",
    }
    if delegation:
        assert facts["errors"] == [] and facts["failed_checks"] == [] and "warnings" not in found
        assert facts["edition"] == "Enterprise"
        return
    hops = {e["step"] for e in facts["errors"] if e.get("reason") == "second_hop"}
    # Get-CsSite has no -LocalStore either (its page): the federation routes are lost to the second hop too.
    assert hops == {"pools", "sip_domains", "sites", "cms_location", "cms_replication"}
    assert "pools_present" in facts["failed_checks"] and "cms_replication" in facts["failed_checks"]
    assert "edge_federation" in facts["failed_checks"]
    assert "ansible_winrm_transport: credssp" in check(found, "edge_federation")["detail"]
    remedy = check(found, "pools_present")["detail"]
    assert "ansible_winrm_transport: credssp" in remedy and "kerberos_delegation" in remedy
    assert "second hop" in found["warnings"][0]


# --- item: localised Windows ---------------------------------------------------------------------


def test_german_windows_gives_the_same_diagnoses(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    """de-DE: every Windows/PowerShell message is German, and facts and reasons do not change."""
    by_culture = {}
    for culture in ("en-US", "de-DE"):

        def change(data: dict[str, t.Any], culture: str = culture) -> None:
            data["host"]["culture"] = culture
            data["deployment"]["topology"] = {"published": False}

        lab = lab_factory(state_variant(tmp_path, "sfb2019-enterprise", change))
        found = results(
            lab,
            tmp_path,
            [
                {"lync.hybrid.cs_deployment_facts": {}, "register": "facts"},
                {
                    "lync.hybrid.cs_online_connector": {"name": "microsoft_teams", "state": "absent", "version": "9.9"},
                    "register": "absent",
                },
                {
                    "lync.hybrid.cs_online_session": {
                        "certificate_thumbprint": "A" * 40,
                        "application_id": "0c4f7b2e-91d3-4a6b-8e5f-2d1c3b4a5e6f",
                        "tenant_id": "2b7e9c41-5d3a-4f8e-b6c2-1a9d0e8f7c65",
                    },
                    "register": "session",
                },
            ],
        )
        # Texts of the online service (the tenant's replies) are not Windows's, so not localised.
        messages = [
            e["error"]["message"] for e in lab.journal("cmdlet") if e["status"] == "error" and e["scope"] != "online"
        ]
        by_culture[culture] = (found, messages)
    (english, english_messages), (german, german_messages) = by_culture["en-US"], by_culture["de-DE"]
    # The German host really writes German: no English message text reaches the collection.
    assert german_messages and not set(german_messages) & set(english_messages)
    assert any("Anmeldung" in m for m in german_messages)
    facts_en, facts_de = (r["facts"]["ansible_facts"]["cs_deployment"] for r in (english, german))
    for key in ("topology_published", "failed_checks", "product", "build"):
        assert facts_de[key] == facts_en[key], key
    assert facts_de["topology_published"] is None  # pools unreadable (second hop): unknown, in both languages
    assert [e.get("reason") for e in facts_de["errors"]] == [e.get("reason") for e in facts_en["errors"]]
    assert "second_hop" in [e.get("reason") for e in facts_de["errors"]]
    assert german["session"]["reason"] == english["session"]["reason"]
