"""The journal: command, cmdlet, online_session and change events, and never a secret."""

from __future__ import annotations

from pathlib import Path

from tests.lab.host import LabHost
from tests.lab.journal import MASK, Journal
from tests.lab.state import load_state
from tests.unit.lab.host_support import (
    ADMIN,
    LAB_PASSWORD,
    STATES,
    TENANT_PASSWORD,
    bootstrap,
    encoded_arguments,
    legacy_online,
    payload,
    request,
    step,
)


def test_secrets_never_reach_the_journal_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    host = LabHost(load_state(STATES / "lync2013-ready.yml"), Journal(str(path)))
    online = legacy_online(
        "LyncOnlineConnector", ADMIN, TENANT_PASSWORD, ["Get-CsTenant"], OverrideAdminDomain="contoso.onmicrosoft.com"
    )
    steps = [step("tenant", "Get-CsTenant", scope="online")]
    for password in (TENANT_PASSWORD, "not-the-password"):
        online["connect"]["params"]["Credential"]["$credential"]["password"] = password
        host.run_command("PowerShell", encoded_arguments(bootstrap()), payload(request(steps, online=[online])))
    host.run_command("PowerShell", encoded_arguments(f"Write-Output '{LAB_PASSWORD}'"), b"")
    text = path.read_text(encoding="utf-8")
    assert TENANT_PASSWORD not in text and LAB_PASSWORD not in text and "not-the-password" not in text
    connects = host.journal.select("cmdlet", name="New-CsOnlineSession")
    assert [event["params"]["Credential"] for event in connects] == [MASK, MASK]


def test_every_state_change_is_journaled() -> None:
    journal = Journal()
    host = LabHost(load_state(STATES / "broken.yml"), journal)
    new = {
        "Identity": "Office365",
        "ProxyFqdn": "sipfed.online.lync.com",
        "Enabled": True,
        "EnabledSharedAddressSpace": True,
        "HostsOCSUsers": True,
    }
    steps = [
        step("edge", "Set-CsAccessEdgeConfiguration", {"AllowFederatedUsers": True}),
        step("new", "New-CsHostingProvider", new),
    ]
    host.run_command("PowerShell", encoded_arguments(bootstrap()), payload(request(steps, onprem=["SkypeForBusiness"])))
    changes = journal.select("change")
    assert [(c["object"], c["property"]) for c in changes] == [
        ("deployment.access_edge", "allow_federated_users"),
        ("deployment.hosting_providers", "Office365"),
    ]
    assert changes[1]["after"]["proxy_fqdn"] == "sipfed.online.lync.com"
    assert host.state.deployment["hosting_providers"][0]["identity"] == "Office365"
