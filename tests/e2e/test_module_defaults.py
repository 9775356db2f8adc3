"""`module_defaults: {group/lync.hybrid.tenant: ...}` carries the tenant logon to the tenant modules.

The play's tasks give no logon option at all; the lab's journal shows which account opened each
tenant session, so a default that did not reach a module shows as a missing logon (the task
fails) or as another account. The legacy connector state also needs override_admin_domain
(its lyncdiscover points on-premises), so that option is proven the same way.
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest
import yaml

from tests.e2e.lab import Lab, play_recap, run

pytestmark = pytest.mark.lab

LOGON_KEYS = {
    "connector", "username", "password", "certificate_thumbprint", "application_id", "tenant_id",
    "override_admin_domain",
}  # fmt: skip


SHOW = "tenant={{ session.tenant.tenant_id }} changed={{ federation.changed }}"


def logon_defaults(lab: Lab) -> dict[str, str]:
    """The state's tenant logon (the role's inventory variables) as module options."""
    prefix = "lync_online_prereqs_"
    options = {key.removeprefix(prefix): value for key, value in lab.inventory_vars().items() if key.startswith(prefix)}
    logon = {key: value for key, value in options.items() if key in LOGON_KEYS}
    assert "connector" in logon and ("username" in logon or "certificate_thumbprint" in logon), options
    return logon


def playbook(path: pathlib.Path, defaults: dict[str, str]) -> pathlib.Path:
    """Tenant tasks without any logon option; facts (not in the group) in the same play."""
    play = {
        "name": "Tenant tasks with the logon from module_defaults",
        "hosts": "lync_servers",
        "gather_facts": False,
        "module_defaults": {"group/lync.hybrid.tenant": {**defaults, "retries": 0}},
        "tasks": [
            {"name": "Facts (not in the group: must not get the logon options)",
             "lync.hybrid.cs_deployment_facts": {"gather_subset": ["build"]}},
            {"name": "Open a tenant session", "lync.hybrid.cs_online_session": {}, "register": "session"},
            {"name": "Share the SIP address space",
             "lync.hybrid.cs_tenant_federation": {"shared_sip_address_space": True}, "register": "federation"},
            {"name": "Show what the tenant modules returned",
             "ansible.builtin.debug": {"msg": SHOW}},
        ],
    }  # fmt: skip
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("state", "account"),
    [
        ("lync2013-ready", "admin@contoso.onmicrosoft.com"),
        ("sfb2019-teams", "application 0c4f7b2e-91d3-4a6b-8e5f-2d1c3b4a5e6f"),
    ],
)
def test_group_module_defaults_carry_the_tenant_logon(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, state: str, account: str
) -> None:
    lab = lab_factory(state)
    defaults = logon_defaults(lab)
    # An inventory without the role's logon variables: the options can only come from module_defaults.
    inventory = yaml.safe_load(lab.inventory.read_text(encoding="utf-8"))
    inventory["all"]["children"]["lync_servers"]["vars"] = {}
    bare = tmp_path / "inventory.yml"
    bare.write_text(yaml.safe_dump(inventory), encoding="utf-8")

    out = run(["ansible-playbook", str(playbook(tmp_path / "play.yml", defaults)), "-i", str(bare)])
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 1, out.stdout
    assert f"tenant={final['tenant']['tenant_id']} changed=True" in out.stdout

    # Both tenant modules opened their session with the account from module_defaults, and closed it.
    opened = [e for e in lab.journal("online_session") if e["action"] == "open"]
    assert [e["account"] for e in opened] == [account, account]
    assert len([e for e in lab.journal("online_session") if e["action"] == "close"]) == 2
    assert final["tenant"]["federation"]["shared_sip_address_space"] is True
    if "password" in defaults:
        assert defaults["password"] not in out.stdout + out.stderr
