"""Installing and removing connectors: msiexec, PowerShellGet, offline folders, and what Get-Module sees after."""

from __future__ import annotations

from tests.unit.lab.host_support import Lab, request, step

MSI = "C:\\Installers\\SkypeOnlinePowerShell.msi"
MODULES = "C:\\Program Files\\WindowsPowerShell\\Modules"


def run_steps(lab: Lab, *steps: dict) -> dict:
    return {s["id"]: s for s in lab.run(request(list(steps)))["steps"]}


def modules(lab: Lab) -> list[tuple[str, str, str]]:
    return sorted((m["name"], m["version"], m["installed_by"]) for m in lab.state.host["modules"])


def msiexec(action: str, target: str) -> dict:
    params = {
        "FilePath": "msiexec.exe",
        "ArgumentList": [action, f'"{target}"', "/qn", "/norestart"],
        "Wait": True,
        "PassThru": True,
    }
    return step(f"msi{action}", "Start-Process", params, select=["ExitCode"], continue_on_error=True)


def test_msi_install_and_uninstall() -> None:
    lab = Lab("connector-sources")
    missing = run_steps(lab, msiexec("/i", "C:\\Installers\\Missing.msi"))
    assert missing["msi/i"]["output"] == [{"ExitCode": 1619}]
    failing = run_steps(lab, msiexec("/i", "C:\\Installers\\Broken.msi"))
    assert failing["msi/i"]["output"] == [{"ExitCode": 1603}] and len(lab.state.host["modules"]) == 1
    assert run_steps(lab, msiexec("/i", MSI))["msi/i"]["output"] == [{"ExitCode": 0}]
    assert ("SkypeOnlineConnector", "7.0.0.0", "msi") in modules(lab)
    programs = run_steps(
        lab, step("p", "Get-Package", {"ProviderName": "msi", "Name": "*Skype for Business Online*PowerShell*"})
    )
    assert programs["p"]["output"][0]["Name"] == "Skype for Business Online, Windows PowerShell Module"
    assert run_steps(lab, msiexec("/x", MSI))["msi/x"]["output"] == [{"ExitCode": 0}]
    assert ("SkypeOnlineConnector", "7.0.0.0", "msi") not in modules(lab)


def test_install_module_from_a_repository() -> None:
    lab = Lab("connector-sources")
    params = {"Name": "MicrosoftTeams", "Repository": "InternalGallery", "Scope": "AllUsers", "Force": True}
    result = run_steps(
        lab,
        step("missing", "Install-Module", {**params, "RequiredVersion": "9.9.9"}, continue_on_error=True),
        step("unknown", "Install-Module", {**params, "Repository": "Nowhere"}, continue_on_error=True),
        step("ok", "Install-Module", {**params, "MinimumVersion": "6.0.0"}),
        step("list", "Get-InstalledModule", {"Name": "MicrosoftTeams", "AllVersions": True}),
    )
    assert result["missing"]["error"]["fqid"].startswith("NoMatchFoundForCriteria,")
    assert result["unknown"]["error"]["fqid"].startswith("SourceNotFound,")
    assert result["list"]["output"][0]["Version"] == "6.4.0"
    assert result["list"]["output"][0]["InstalledLocation"] == f"{MODULES}\\MicrosoftTeams\\6.4.0"
    run_steps(lab, step("rm", "Uninstall-Module", {"Name": "MicrosoftTeams", "AllVersions": True, "Force": True}))
    assert [m for m in modules(lab) if m[0] == "MicrosoftTeams"] == []


def test_offline_folder_copy_installs_the_module() -> None:
    lab = Lab("connector-sources")
    result = run_steps(
        lab,
        step(
            "manifests",
            "Get-ChildItem",
            {"LiteralPath": "C:\\Offline", "Filter": "MicrosoftTeams.psd1", "Recurse": True},
            select=["FullName"],
        ),
        step("dir", "New-Item", {"ItemType": "Directory", "Path": f"{MODULES}\\MicrosoftTeams", "Force": True}),
        step(
            "copy",
            "Copy-Item",
            {
                "LiteralPath": "C:\\Offline\\MicrosoftTeams\\6.1.0",
                "Destination": f"{MODULES}\\MicrosoftTeams",
                "Recurse": True,
                "Force": True,
            },
        ),
        step(
            "after", "Get-Module", {"ListAvailable": True, "Name": "MicrosoftTeams"}, select=["Version", "ModuleBase"]
        ),
    )
    assert result["manifests"]["output"] == [{"FullName": "C:\\Offline\\MicrosoftTeams\\6.1.0\\MicrosoftTeams.psd1"}]
    assert result["after"]["output"] == [{"Version": "6.1.0", "ModuleBase": f"{MODULES}\\MicrosoftTeams\\6.1.0"}]
    run_steps(
        lab, step("rm", "Remove-Item", {"LiteralPath": f"{MODULES}\\MicrosoftTeams", "Recurse": True, "Force": True})
    )
    assert [m for m in modules(lab) if m[0] == "MicrosoftTeams"] == []


def test_new_microsoft_teams_needs_powershell_5_1() -> None:
    from tests.unit.lab.host_support import make_state

    lab = Lab(make_state([{"name": "MicrosoftTeams", "version": "6.4.0"}], host={"powershell_version": "4.0"}))
    error = run_steps(lab, step("i", "Import-Module", {"Name": "MicrosoftTeams"}))["i"]["error"]
    assert error["fqid"] == "Modules_InsufficientPowerShellVersion,Microsoft.PowerShell.Commands.ImportModuleCommand"


def test_uninstall_registry_view_follows_the_deployment() -> None:
    lab = Lab("lync2013-ready")
    path = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*"
    rows = run_steps(lab, step("u", "Get-ItemProperty", {"Path": path}, select=["DisplayName", "DisplayVersion"]))
    assert {"DisplayName": "Microsoft Lync Server 2013, Core Components", "DisplayVersion": "5.0.8308.1182"} in rows[
        "u"
    ]["output"]
    assert {"DisplayName": "Windows PowerShell Module for Lync Online", "DisplayVersion": "5.0.8308.857"} in rows["u"][
        "output"
    ]
