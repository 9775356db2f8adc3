"""lync.hybrid.cs_hosting_provider and cs_access_edge end to end: ansible-playbook -> winrm -> lab host.

The integration targets run as roles against lab states whose on-premises half of hybrid is
missing or wrong; the journal counts the WinRM commands and the final state shows what changed.
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from tests.e2e.lab import Lab, play_recap, run
from tests.e2e.lab_support import playbook, state_variant, wsman_commands

pytestmark = pytest.mark.lab

AUTODISCOVER = "https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root"


def no_provider_no_federation(data: dict[str, t.Any]) -> None:
    data["deployment"]["hosting_providers"] = []
    data["deployment"]["access_edge"] = {"allow_federated_users": False, "enable_partner_discovery": False}


@pytest.mark.parametrize("base", ["lync2013-ready", "sfb2019-teams"])
def test_targets_configure_the_onprem_half_once(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, base: str
) -> None:
    lab = lab_factory(state_variant(tmp_path, base, no_provider_no_federation))
    book = playbook(
        tmp_path,
        tasks=[
            {"name": "Access Edge", "ansible.builtin.include_role": {"name": "cs_access_edge"}},
            {"name": "Hosting provider", "ansible.builtin.include_role": {"name": "cs_hosting_provider"}},
        ],
    )
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(book)], ANSIBLE_ROLES_PATH="tests/integration/targets")
    final = lab.stop()

    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 4  # check + apply, twice
    # One command per task that reached the host: 3 (edge), 3 + the refused cloud change in check mode
    # (provider); the refused options send nothing.
    assert wsman_commands(lab) == 7
    (provider,) = final["deployment"]["hosting_providers"]
    assert provider["proxy_fqdn"] == "sipfed.online.lync.com" and provider["autodiscover_url"] == AUTODISCOVER
    edge = final["deployment"]["access_edge"]
    assert edge["allow_federated_users"] and edge["enable_partner_discovery"] and edge["use_dns_srv_routing"]


def test_wrong_proxy_fqdn_is_replaced_only_when_asked(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    def wrong(data: dict[str, t.Any]) -> None:
        data["deployment"]["hosting_providers"][0]["proxy_fqdn"] = "sipfed.online.lync.com"

    lab = lab_factory(state_variant(tmp_path, "sfb2019-teams", wrong))
    book = playbook(
        tmp_path,
        tasks=[
            {
                "name": "Move to GCC High without replace",
                "lync.hybrid.cs_hosting_provider": {"cloud": "gcc_high"},
                "register": "refused",
                "ignore_errors": True,
            },
            {
                "name": "Move to GCC High",
                "lync.hybrid.cs_hosting_provider": {"cloud": "gcc_high", "replace": True},
                "diff": True,
            },
            {"ansible.builtin.assert": {"that": ["refused.reason == 'replace_required'"]}},
        ],
    )
    out = run(["ansible-playbook", "--diff", "-i", str(lab.inventory), str(book)])
    final = lab.stop()

    assert out.returncode == 0, out.stdout + out.stderr
    assert "remove and re-create" in out.stdout
    (provider,) = final["deployment"]["hosting_providers"]
    assert provider["proxy_fqdn"] == "sipfed.online.gov.skypeforbusiness.us"
    assert provider["autodiscover_url"].startswith("https://webdir.online.gov.skypeforbusiness.us/")
    assert wsman_commands(lab) == 3  # the refusal, then read + replace
