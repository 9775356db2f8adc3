"""The role's on-premises federation area, its one tenant connection per run, report-only runs and clouds.

Each test runs playbooks/prereqs.yml (or a small play around the role) against a lab process and
reads the lab's journal and final state, so it says what reached the host and the tenant.
"""

from __future__ import annotations

import typing as t

import pytest

from tests.e2e.lab import Lab, play_recap
from tests.e2e.test_role import federation_sets, initial_state, prereqs, state_file
from tests.lab.state import load_state

if t.TYPE_CHECKING:
    import pathlib

pytestmark = pytest.mark.lab

GOV_SIPFED = "sipfed.online.gov.skypeforbusiness.us"


def connects(lab: Lab) -> list[dict[str, t.Any]]:
    """Connect-MicrosoftTeams calls the runner made (each one a tenant connection)."""
    return [e for e in lab.journal("cmdlet") if e["name"] == "Connect-MicrosoftTeams"]


def onprem_changes(lab: Lab) -> list[tuple[str, str]]:
    return [(c["object"], c["property"]) for c in lab.journal("change") if not c["object"].startswith("tenant")]


def _onprem_off(data: dict[str, t.Any]) -> None:
    """No hosting provider for Microsoft 365 and federation off on the Access Edge."""
    data["deployment"]["hosting_providers"] = []
    data["deployment"]["access_edge"]["allow_federated_users"] = False


# --- one tenant connection per run ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "connections"),
    [
        ([], 1),
        (["--tags", "lync_online_prereqs_session"], 1),
        (["--tags", "lync_online_prereqs_federation"], 1),
        (["--tags", "lync_online_prereqs_session,lync_online_prereqs_federation"], 1),
    ],
)
def test_one_tenant_connection_per_run(lab_factory: t.Callable[..., Lab], tags: list[str], connections: int) -> None:
    """Session and federation areas together connect once; each alone still works."""
    lab = lab_factory("sfb2019-teams")
    out = prereqs(lab.inventory, *tags)
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert len(connects(lab)) == connections
    tenant_reads = [e for e in lab.journal("cmdlet") if e["name"] == "Get-CsTenant"]
    session_runs = "lync_online_prereqs_federation" not in " ".join(tags) or "session" in " ".join(tags)
    assert len(tenant_reads) == (1 if session_runs else 0)
    federation_runs = "lync_online_prereqs_session" not in " ".join(tags) or "federation" in " ".join(tags)
    assert final["tenant"]["federation"]["shared_sip_address_space"] is federation_runs
    if session_runs:
        # The report shows the tenant the session proved, whichever task proved it.
        report = (lab.workdir / "reports" / "lync-online-prereqs.md").read_text(encoding="utf-8")
        assert "Fabrikam" in report


# --- report only: fail_on_checks false with a failed check changes nothing -------------------------


def test_report_only_changes_nothing_when_a_check_failed(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """A failed access_edge check with fail_on_checks=false: no tenant Set, no on-prem change, no install."""

    def edge_off(data: dict[str, t.Any]) -> None:
        data["deployment"]["access_edge"]["allow_federated_users"] = False

    path = state_file(tmp_path, "sfb2019-teams", edge_off)
    lab = lab_factory(str(path))
    out = prereqs(lab.inventory, "-e", "lync_online_prereqs_fail_on_checks=false")
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert federation_sets(lab) == []
    assert lab.journal("change") == []
    assert [e for e in lab.journal("cmdlet") if e["name"] in ("Install-Module", "Set-CsAccessEdgeConfiguration")] == []
    assert final == load_state(path).to_dict()
    # The tenant was still read (the run reports what it would change), in one connection.
    assert len(connects(lab)) == 1
    assert play_recap(out.stdout)["failed"] == 0
    report = (lab.workdir / "reports" / "lync-online-prereqs.md").read_text(encoding="utf-8")
    assert "report only: a readiness check failed" in report


# --- on-premises federation area --------------------------------------------------------------------


def test_onprem_federation_unmanaged_fails_with_the_remedy_and_changes_nothing(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    path = state_file(tmp_path, "sfb2019-teams", _onprem_off)
    lab = lab_factory(str(path))
    out = prereqs(lab.inventory)
    final = lab.stop()
    assert out.returncode != 0
    assert "New-CsHostingProvider -Identity Office365 -ProxyFqdn sipfed.online.lync.com" in out.stdout
    assert "Set-CsAccessEdgeConfiguration" in out.stdout
    assert lab.journal("change") == []
    assert final == load_state(path).to_dict()


def test_onprem_federation_managed_changes_then_is_idempotent(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory(str(state_file(tmp_path, "sfb2019-teams", _onprem_off)))
    manage = ["-e", "lync_online_prereqs_manage_onprem_federation=true"]
    first = prereqs(lab.inventory, *manage)
    assert first.returncode == 0, first.stdout + first.stderr
    changes_after_first = onprem_changes(lab)
    second = prereqs(lab.inventory, *manage)
    final = lab.stop()
    assert second.returncode == 0, second.stdout + second.stderr
    assert play_recap(first.stdout)["changed"] == 3, first.stdout  # hosting provider, access edge, tenant
    assert play_recap(second.stdout)["changed"] == 0, second.stdout
    assert any(obj.startswith("deployment.hosting_providers") for obj, _prop in changes_after_first)
    assert ("deployment.access_edge", "allow_federated_users") in changes_after_first
    assert onprem_changes(lab) == changes_after_first
    (provider,) = final["deployment"]["hosting_providers"]
    assert provider["proxy_fqdn"] == "sipfed.online.lync.com" and provider["identity"] == "Office365"
    assert final["deployment"]["access_edge"]["allow_federated_users"] is True


def test_onprem_federation_check_mode_shows_the_diff_and_changes_nothing(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    path = state_file(tmp_path, "sfb2019-teams", _onprem_off)
    lab = lab_factory(str(path))
    out = prereqs(lab.inventory, "--check", "--diff", "-e", "lync_online_prereqs_manage_onprem_federation=true")
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    hosting = out.stdout.split("Ensure the Microsoft 365 hosting provider")[1].split("TASK [")[0]
    assert "changed: [" in hosting and "+" in hosting and "sipfed.online.lync.com" in hosting
    edge = out.stdout.split("Ensure the Access Edge configuration")[1].split("TASK [")[0]
    assert "changed: [" in edge and "AllowFederatedUsers" in edge
    assert lab.journal("change") == []
    assert final == load_state(path).to_dict()


def test_onprem_federation_wrong_proxy_fqdn_is_replaced_only_when_allowed(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    def wrong_proxy(data: dict[str, t.Any]) -> None:
        data["deployment"]["hosting_providers"][0]["proxy_fqdn"] = "sipfed.example.net"

    lab = lab_factory(str(state_file(tmp_path, "sfb2019-teams", wrong_proxy)))
    manage = ["-e", "lync_online_prereqs_manage_onprem_federation=true"]
    refused = prereqs(lab.inventory, *manage, "-e", "lync_online_prereqs_fail_on_checks=true")
    assert refused.returncode != 0
    assert "replace" in refused.stdout and onprem_changes(lab) == []
    replaced = prereqs(lab.inventory, *manage, "-e", "lync_online_prereqs_onprem_federation_replace=true")
    final = lab.stop()
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    (provider,) = final["deployment"]["hosting_providers"]
    assert provider["proxy_fqdn"] == "sipfed.online.lync.com"


# --- clouds -----------------------------------------------------------------------------------------


def _gcc_high(data: dict[str, t.Any]) -> None:
    """The Fabrikam lab tenant in GCC High, with a credential logon (the only one that names the cloud)."""
    data["tenant"]["cloud"] = "gcc_high"
    data["tenant"]["admins"][0]["mfa_required"] = False
    data["deployment"]["hosting_providers"][0]["proxy_fqdn"] = GOV_SIPFED
    data["deployment"]["hosting_providers"][0]["autodiscover_url"] = (
        "https://webdir.online.gov.skypeforbusiness.us/Autodiscover/AutodiscoverService.svc/root"
    )
    inventory = data["inventory"]
    for name in ("certificate_thumbprint", "application_id", "tenant_id"):
        inventory.pop(f"lync_online_prereqs_{name}")
    inventory["lync_online_prereqs_username"] = data["tenant"]["admins"][0]["user"]
    inventory["lync_online_prereqs_password"] = data["tenant"]["admins"][0]["password"]
    inventory["lync_online_prereqs_cloud"] = "gcc_high"


def test_gcc_high_connects_with_its_environment_and_checks_its_hosting_provider(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory(str(state_file(tmp_path, "sfb2019-teams", _gcc_high)))
    out = prereqs(lab.inventory)
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    (connect,) = connects(lab)
    assert connect["params"]["TeamsEnvironmentName"] == "TeamsGCCH"
    assert final["tenant"]["federation"]["shared_sip_address_space"] is True
    report = (lab.workdir / "reports" / "lync-online-prereqs.md").read_text(encoding="utf-8")
    assert GOV_SIPFED in report and "Cloud: gcc_high" in report


def test_gcc_high_tenant_is_not_found_from_the_commercial_cloud(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """Without the cloud, the hosting provider check fails first; with the check ignored, the logon fails."""
    lab = lab_factory(str(state_file(tmp_path, "sfb2019-teams", _gcc_high)))
    out = prereqs(
        lab.inventory,
        *[
            "-e",
            "lync_online_prereqs_cloud=commercial",
            "-e",
            '{"lync_online_prereqs_ignore_checks": ["hosting_provider"]}',
        ],
    )
    lab.stop()
    assert out.returncode != 0
    assert "AADSTS90002" in out.stdout and "correct cloud" in out.stdout


def test_sovereign_cloud_with_a_certificate_is_refused_before_the_tenant(lab_factory: t.Callable[..., Lab]) -> None:
    lab = lab_factory("sfb2019-teams")
    out = prereqs(lab.inventory, "-e", "lync_online_prereqs_cloud=dod", "--skip-tags", "lync_online_prereqs_facts")
    lab.stop()
    assert out.returncode != 0
    assert "cloud=dod" in out.stdout and "TeamsEnvironmentName" in out.stdout
    assert connects(lab) == []
    assert lab.journal("change") == []
    assert initial_state("sfb2019-teams")["tenant"]["federation"]["shared_sip_address_space"] is False
