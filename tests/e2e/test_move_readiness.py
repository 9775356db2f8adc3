"""Readiness means "Move-CsUser will work": the role end to end through the real winrm connection.

The hosting provider's AutodiscoverUrl, the single federated Edge pool (Get-CsSite's federation routes),
MFA with old builds, the tenant roles, the hosted migration URL and the directory prerequisites, as the
play output and the readiness report (Markdown and HTML) show them.
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest
from ansible_collections.lync.hybrid.plugins.plugin_utils import _checks, _session

from tests.e2e.lab import Lab, play_recap, run
from tests.e2e.lab_support import state_variant

pytestmark = pytest.mark.lab

PLAYBOOK = "playbooks/prereqs.yml"
ROLES = "Global Administrator, or Teams Administrator together with User Administrator"
DIRECTORY = "Each user to move already exists in the on-premises Active Directory"
ENTRA = "the msRTCSIP attributes included, to Microsoft Entra ID"


def prereqs(lab: Lab, *args: str) -> t.Any:
    return run(["ansible-playbook", PLAYBOOK, "-i", str(lab.inventory), *args])


def report(lab: Lab, suffix: str = "md") -> str:
    return (lab.workdir / "reports" / f"lync-online-prereqs.{suffix}").read_text(encoding="utf-8")


def section(text: str) -> str:
    """The report's "Before moving users" section (it is the last one)."""
    head = "Before moving users (Move-CsUser)"
    assert text.count(head) == 1, text
    return text.split(head, 1)[1]


def two_edges_no_autodiscover(data: dict[str, t.Any]) -> None:
    """Two sites federating through two Edge pools, and the provider without its AutodiscoverUrl."""
    deployment = data["deployment"]
    for site, edge in (("Dublin", "edge01.fabrikam.local"), ("Paris", "edge02.fabrikam.local")):
        deployment["pools"].append({"fqdn": edge, "site": site, "services": ["EdgeServer"], "computers": [edge]})
    deployment["sites"] = [
        {"name": "Dublin", "federation_route": "edge01.fabrikam.local"},
        {"name": "Paris", "federation_route": "edge02.fabrikam.local"},
    ]
    deployment["hosting_providers"][0]["autodiscover_url"] = None


def test_two_federated_edges_and_no_autodiscover_url_stop_the_role_with_both_remedies(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory(str(state_variant(tmp_path, "sfb2019-move", two_edges_no_autodiscover)))
    out = prereqs(lab, "-e", "lync_online_prereqs_report_html=true")
    lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    assert play_recap(out.stdout)["failed"] == 1
    assert "readiness check(s) failed" in out.stdout
    assert "[edge_federation] 2 Edge pools are federated" in out.stdout
    assert "Set-CsSite -Identity Site:Paris -FederationRoute EdgeServer:edge01.fabrikam.local" in out.stdout
    assert (
        "Set-CsHostingProvider -Identity Office365 "
        "-AutodiscoverUrl https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root"
    ) in out.stdout
    # Nothing was moved or changed: the readiness only read.
    assert [e for e in lab.journal("cmdlet") if e["name"].startswith(("Set-", "New-", "Move-"))] == []
    text = section(report(lab))
    assert "Federated Edge pools: edge01.fabrikam.local, edge02.fabrikam.local" in text
    assert "every Move-CsUser needs -HostedMigrationOverrideUrl" in text
    assert ROLES in text and DIRECTORY in text and ENTRA in text
    html = section(report(lab, "html"))
    assert "<h3>Edge federation</h3>" in html
    assert "Federated Edge pools: edge01.fabrikam.local, edge02.fabrikam.local" in html
    assert "*.onmicrosoft.com" in html and "\\*" not in html


def test_lync2013_report_states_the_mfa_limit_and_the_derived_url(lab_factory: t.Callable[..., Lab]) -> None:
    """lync2013-ready: the legacy connector still returns Get-CsTenant's Identity, and Lync 2013 cannot use MFA."""
    lab = lab_factory("lync2013-ready")
    out = prereqs(lab)
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    text = section(report(lab))
    assert "Hosted migration URL of the tenant: https://admin0e.online.lync.com/HostedMigration/" in text
    assert "cannot move users with an MFA-enforced tenant admin at all" in text
    assert "signed in to the tenant with a password and no MFA prompt" in text
    assert "Grant-CsTeamsUpgradePolicy -Identity \\<user> -PolicyName $null" in text
    assert "the hosting provider has its AutodiscoverUrl" in text
    assert "Move-CsUser accepts one at most" in text
    assert _checks.MFA_UNSUPPORTED in report(lab)  # in the build_minimum row too


def test_microsoft_teams_report_says_why_the_url_is_not_needed(lab_factory: t.Callable[..., Lab]) -> None:
    """sfb2019-teams logs on with a certificate: no Identity, so the note; Move-CsUser cannot use an application."""
    lab = lab_factory("sfb2019-teams")
    out = prereqs(lab)
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    text = section(report(lab))
    assert f"Hosted migration URL of the tenant: {_session.HOSTED_MIGRATION_URL_NOTE}".replace("*", "\\*") in text
    assert "The tenant session used a certificate (an application)" in text
    assert "MFA-enforced tenant admin at all" not in text


def test_an_mfa_admin_is_named_as_unusable_for_moves(lab_factory: t.Callable[..., Lab]) -> None:
    """sfb2019-teams' password admin must use MFA: the session fails and the report says moves cannot use it."""
    lab = lab_factory("sfb2019-teams")
    out = prereqs(
        lab,
        "-e",
        "lync_online_prereqs_username=admin@fabrikam.onmicrosoft.com",
        "-e",
        "lync_online_prereqs_password=Tenant-Adm1n-Passw0rd!",
        "-e",
        "lync_online_prereqs_certificate_thumbprint=''",
        "-e",
        "lync_online_prereqs_application_id=''",
        "-e",
        "lync_online_prereqs_tenant_id=''",
    )
    lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    assert '"reason": "mfa_required"' in out.stdout
    assert f"still needs a tenant admin ({ROLES}) that signs in without MFA" in out.stdout
    text = section(report(lab))
    assert "admin@fabrikam.onmicrosoft.com must use MFA: Move-CsUser cannot move users with this account" in text
    assert "Tenant-Adm1n-Passw0rd!" not in report(lab)
