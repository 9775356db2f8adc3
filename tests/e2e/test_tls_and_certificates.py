"""TLS 1.2 and certificate logon as real Windows hosts behave, end to end over WinRM (NTLM, encrypted).

The lab models the process's [Net.ServicePointManager]::SecurityProtocol from the state's .NET strong-crypto
values, a PowerShell Gallery that answers only over TLS 1.2, the certificate stores, and Connect-MicrosoftTeams
resolving -CertificateThumbprint in CurrentUser\\My only (docs/lab.md, fidelity table).
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from tests.e2e.lab import Lab
from tests.e2e.lab_support import INVENTORY_LOGON, state_variant
from tests.e2e.test_host_platform import check, results

pytestmark = pytest.mark.lab

THUMBPRINT = "3B1E2C4D5F60718293A4B5C6D7E8F90A1B2C3D4E"


def _without_strong_crypto_or_teams(data: dict[str, t.Any]) -> None:
    """A Windows Server 2019 host as installed: no strong crypto for .NET, MicrosoftTeams not yet installed."""
    data["host"].pop("dotnet_tls", None)
    data["host"]["modules"] = [m for m in data["host"]["modules"] if m["name"] != "MicrosoftTeams"]


def test_a_gallery_install_without_strong_crypto_succeeds_because_the_runner_enables_tls12(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory(state_variant(tmp_path, "sfb2019-teams", _without_strong_crypto_or_teams))
    found = results(
        lab,
        tmp_path,
        [
            {"lync.hybrid.cs_deployment_facts": {"gather_subset": ["!all"]}, "register": "facts"},
            {"lync.hybrid.cs_online_connector": {"source": "PSGallery", "version": "6.4.0"}, "register": "gallery"},
        ],
    )
    gallery = found["gallery"]
    assert gallery.get("failed") is not True, gallery
    assert gallery["changed"] is True and gallery["version"] == "6.4.0"
    installs = [e for e in lab.journal("cmdlet") if e["name"] == "Install-Module"]
    assert [e["params"]["Repository"] for e in installs] == ["PSGallery"]
    # The host itself still lacks strong crypto: the facts say so, with the registry values that fix it.
    deployment = found["facts"]["ansible_facts"]["cs_deployment"]
    assert deployment["strong_crypto"]["enabled"] is False
    assert deployment["strong_crypto"]["native"] == {"sch_use_strong_crypto": None, "system_default_tls_versions": None}
    verdict = check(found["facts"], "strong_crypto")
    assert verdict["passed"] is False and "Move-CsUser requires TLS 1.2" in verdict["detail"]
    assert "SchUseStrongCrypto = 1 and SystemDefaultTlsVersions = 1" in verdict["remedy"]
    assert r"HKLM:\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319" in verdict["remedy"]
    assert "strong_crypto" in deployment["failed_checks"]


def test_strong_crypto_configured_passes_the_check(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    found = results(
        lab_factory("sfb2019-teams"),
        tmp_path,
        [{"lync.hybrid.cs_deployment_facts": {"gather_subset": ["!all"]}, "register": "facts"}],
    )
    assert check(found["facts"], "strong_crypto")["passed"] is True
    assert found["facts"]["ansible_facts"]["cs_deployment"]["strong_crypto"]["enabled"] is True


def test_a_certificate_only_in_the_machine_store_logs_on(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """sfb2019-teams keeps its certificate in LocalMachine\\My only, where -CertificateThumbprint does not look."""
    lab = lab_factory("sfb2019-teams")
    found = results(lab, tmp_path, [{"lync.hybrid.cs_online_session": INVENTORY_LOGON, "register": "session"}])
    session = found["session"]
    assert session.get("failed") is not True, session
    assert session["tenant"]["display_name"] == "Fabrikam" and session["session_closed"] is True
    connects = [e for e in lab.journal("cmdlet") if e["name"] == "Connect-MicrosoftTeams"]
    assert len(connects) == 1 and "Certificate" in connects[0]["params"]
    assert "CertificateThumbprint" not in connects[0]["params"]


def test_a_certificate_without_a_private_key_is_a_clear_error(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    def keyless(data: dict[str, t.Any]) -> None:
        data["host"]["certificates"] = {"local_machine": [{"thumbprint": THUMBPRINT, "has_private_key": False}]}

    lab = lab_factory(state_variant(tmp_path, "sfb2019-teams", keyless))
    found = results(lab, tmp_path, [{"lync.hybrid.cs_online_session": INVENTORY_LOGON, "register": "session"}])
    session = found["session"]
    assert session["failed"] is True and session["reason"] == "certificate_private_key_missing", session
    assert f"The certificate {THUMBPRINT} is on this host, but without its private key" in session["msg"]
    assert "Cert:\\LocalMachine\\My" in session["msg"] and "Manage Private Keys" in session["msg"]
    assert session["error_record"]["fqid"] == "LyncHybrid.CertificatePrivateKeyMissing"
    # Refused by the runner before any logon: Connect-MicrosoftTeams never ran.
    assert not [e for e in lab.journal("cmdlet") if e["name"] == "Connect-MicrosoftTeams"]


def test_a_machine_store_certificate_with_teams_before_4_9_2_is_refused_before_the_logon(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """Before 4.9.2 Connect-MicrosoftTeams has no -Certificate, and -CertificateThumbprint reads CurrentUser\\My."""

    def teams_4_9_1(data: dict[str, t.Any]) -> None:
        for module in data["host"]["modules"]:
            if module["name"] == "MicrosoftTeams":
                module["version"] = "4.9.1"

    lab = lab_factory(state_variant(tmp_path, "sfb2019-teams", teams_4_9_1))
    found = results(lab, tmp_path, [{"lync.hybrid.cs_online_session": INVENTORY_LOGON, "register": "session"}])
    session = found["session"]
    assert session["failed"] is True and session["reason"] == "certificate_needs_user_store", session
    assert "no -Certificate parameter" in session["msg"] and "Update MicrosoftTeams" in session["msg"]
    assert session["error_record"]["fqid"] == "LyncHybrid.CertificateNeedsUserStore"
    assert not [e for e in lab.journal("cmdlet") if e["name"] == "Connect-MicrosoftTeams"]
