"""Regenerate the lab's reference tables from pinned copies of Microsoft's public sources.

The lab's simulated cmdlets and the static compatibility test of the runner must agree with what
Microsoft documents and what Windows PowerShell really has, not with what someone remembered.
This script reads pinned commits of git clones (no work tree needed) and writes two small tables
next to itself:

* ``cmdlets.json``: for every cmdlet the collection sends or the lab simulates, the parameter
  sets (name, type, mandatory, position, aliases) and what the page says about its output, from
  the platyPS markdown of the cmdlet reference (MicrosoftDocs/office-docs-powershell,
  MicrosoftDocs/PowerShell-Docs);
* ``platforms.json``: for Windows Server 2012 / PowerShell 3.0, 2012 R2 / 4.0, 2016 / 5.1 and
  2019 / 5.1, the commands (parameters, sets, aliases) the runner, bootstrap and lab use and all
  type accelerators, from the compatibility profiles of PowerShell/PSScriptAnalyzer.

Every row names its source repository, commit and path. Usage (paths are git directories)::

    python -m tests.lab.reference.generate --office-docs DIR --powershell-docs DIR --psscriptanalyzer DIR

Re-running with the same commits gives byte-identical files; ``--check`` fails when the checked-in
tables differ from what the sources give (for a reviewer with the clones at hand).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]

OFFICE = "MicrosoftDocs/office-docs-powershell"
PSDOCS = "MicrosoftDocs/PowerShell-Docs"
PSSA = "PowerShell/PSScriptAnalyzer"

# Pinned commits. OFFICE_LEGACY is the last revision of skype/skype-ps/skype/New-CsOnlineSession.md
# that still documents the SkypeOnlineConnector cmdlet in full (UserName, OAuthAccessToken,
# OverrideDiscoveryUri); later revisions describe the trimmed MicrosoftTeams 2.x variant and the page
# was deleted in 2024. PSDOCS_PSGET is the parent of the commit that removed the PowerShellGet and
# PackageManagement reference from PowerShell-Docs. PSSA_PROFILES is the only revision whose
# Windows PowerShell profiles are below 4 MiB (see README.md: later ones could not be obtained).
COMMITS = {
    "office": "93336da2bca96c31c0fc8acc52658a30ef8a6c94",
    "office_legacy": "1f33df4d98325c3be8207c2be995c6e7ee126140",
    "psdocs": "27138b21b41de3e2b43cfcac4a56861ca419d5eb",
    "psdocs_psget": "a6ac0167a038d1d87a2fcbce04b3b089a2889789",
    "pssa": "ad713a08749cc88e4069fe80467f4350e620c55c",
}

PROFILES = "CrossCompatibility/profiles"
PLATFORMS = {
    "ws2012_ps3": f"{PROFILES}/win-8_x64_6.2.9200.0_3.0_x64_4.0.30319.42000_framework.json",
    "ws2012r2_ps4": f"{PROFILES}/win-8_x64_6.3.9600.0_4.0_x64_4.0.30319.42000_framework.json",
    "ws2016_ps51": f"{PROFILES}/win-8_x64_10.0.14393.0_5.1.14393.2636_x64_4.0.30319.42000_framework.json",
    "ws2019_ps51": f"{PROFILES}/win-8_x64_10.0.17763.0_5.1.17763.134_x64_4.0.30319.42000_framework.json",
}

# Where each cmdlet's page lives: (source key, folder) tried in order; the first page found wins.
OFFICE_FOLDERS = ("skype/skype-ps/SkypeForBusiness", "teams/teams-ps/MicrosoftTeams")
PSDOCS_FOLDERS = (
    "reference/5.1/Microsoft.PowerShell.Core",
    "reference/5.1/Microsoft.PowerShell.Utility",
    "reference/5.1/Microsoft.PowerShell.Management",
    "reference/5.1/Microsoft.PowerShell.Security",
    "reference/5.1/CimCmdlets",
    "reference/5.1/Microsoft.WSMan.Management",
)
PSGET_FOLDERS = ("reference/5.1/PowershellGet", "reference/5.1/PackageManagement")
# The legacy connectors' tenant cmdlets are proxies of the Skype Online endpoint; their pages are the
# skype folder's at the legacy commit, kept as a second variant next to MicrosoftTeams'.
LEGACY_ONLINE = (
    "New-CsOnlineSession",
    "Get-CsTenant",
    "Get-CsOnlineSipDomain",
    "Get-CsTenantFederationConfiguration",
    "Set-CsTenantFederationConfiguration",
)
# Files scanned for Verb-Noun names: what the collection sends and what the lab simulates.
SCANNED = (
    "plugins/plugin_utils/*.py",
    "plugins/plugin_utils/*.ps1",
    "plugins/action/*.py",
    "tests/lab/cmdlets/*.py",
)
VERB_NOUN = re.compile(r"\b([A-Z][A-Za-z]+-[A-Z][A-Za-z]+)\b")
COMMON = {
    "Verbose",
    "Debug",
    "ErrorAction",
    "WarningAction",
    "InformationAction",
    "ErrorVariable",
    "WarningVariable",
    "InformationVariable",
    "OutVariable",
    "OutBuffer",
    "PipelineVariable",
    "ProgressAction",
}


class SourceError(Exception):
    """A pinned commit or file is missing from a clone: say which, never guess."""


@dataclass(frozen=True)
class Clone:
    """A git directory of one repository, read at pinned commits."""

    repo: str
    path: pathlib.Path

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args], capture_output=True, text=True, encoding="utf-8", check=False
        )
        if done.returncode != 0:
            raise SourceError(f"{self.repo}: git {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def show(self, commit: str, path: str) -> str:
        return self.git("show", f"{commit}:{path}")

    def files(self, commit: str, folder: str) -> set[str]:
        return set(self.git("ls-tree", "--name-only", f"{commit}:{folder}").split())


def source(repo: str, commit: str, path: str) -> dict[str, str]:
    return {"repo": repo, "commit": commit, "path": path}


# --- platyPS markdown ------------------------------------------------------------------------------


def _sections(text: str) -> dict[str, str]:
    """Level-2 sections of a page by title (SYNTAX, PARAMETERS, OUTPUTS, ...)."""
    parts = re.split(r"^## +(.+?)\s*$", text, flags=re.MULTILINE)
    return {parts[i].strip().upper(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _front_matter(text: str) -> dict[str, str]:
    match = re.match(r"---\s*\n(.*?)\n---", text, re.DOTALL)
    found: dict[str, str] = {}
    for line in (match.group(1) if match else "").splitlines():
        key, _sep, value = line.partition(":")
        if value:
            found[key.strip()] = value.strip()
    return found


def _syntax_block(body: str) -> dict[str, dict[str, Any]]:
    """Parameters of one SYNTAX block with what the brackets say.

    platyPS writes ``-Name <T>`` for a mandatory named parameter, ``[-Name <T>]`` for an optional
    one, ``[-Name] <T>`` for a mandatory positional one and ``[[-Name] <T>]`` for an optional
    positional one. Types are blanked first because ``<String[]>`` has brackets of its own.
    """
    types = dict(re.findall(r"(?<=[\s\[])-([A-Za-z][A-Za-z0-9]*)\]?\s+<([^>]+)>", body))
    text = re.sub(r"<[^>]*>", "<T>", body)
    found: dict[str, dict[str, Any]] = {}
    for match in re.finditer(r"(?<=[\s\[])-([A-Za-z][A-Za-z0-9]*)", text):
        name = match.group(1)
        if name in COMMON or name in found:
            continue
        before = text[: match.start()]
        depth = before.count("[") - before.count("]")
        positional = before.endswith("[") and re.match(r"\]\s*<", text[match.end() :]) is not None
        if positional:
            depth -= 1
        found[name] = {"mandatory": depth == 0, "positional": positional, "type": types.get(name, "switch")}
    return found


def _syntax(section: str) -> tuple[dict[str, dict[str, dict[str, Any]]], str | None]:
    """Parameters per set as the SYNTAX blocks list them, and the set marked (Default)."""
    sets: dict[str, dict[str, dict[str, Any]]] = {}
    default = None
    blocks = re.findall(r"(?:^### +(.+?)\s*$\s*)?^```[a-z]*\s*$(.*?)^```", section, re.MULTILINE | re.DOTALL)
    variants: list[tuple[str, str, dict[str, dict[str, Any]]]] = []
    for index, (title, body) in enumerate(blocks):
        name = title.strip() if title else ("__AllParameterSets" if len(blocks) == 1 else f"__Set{index}")
        # PowerShell-Docs splits a set per provider ("Path (Default) - FileSystem provider"): the
        # provider variants only add that provider's dynamic parameters.
        name, _sep, provider = name.partition(" - ")
        if name.endswith("(Default)"):
            name = name[: -len("(Default)")].strip()
            default = name
        variants.append((name, provider.strip(), _syntax_block(body)))
    for name, provider, members in sorted(variants, key=lambda v: v[1] not in ("", "All providers")):
        merged = sets.setdefault(name, {})
        for pname, seen in members.items():
            if pname not in merged:
                merged[pname] = seen if provider in ("", "All providers") else {**seen, "mandatory": False}
                if provider not in ("", "All providers"):
                    merged[pname]["provider"] = provider
    return sets, default


def _yaml_blocks(section: str) -> list[tuple[str, dict[str, str]]]:
    """(parameter name, fields) for every ```yaml block under a ### -Name heading."""
    found = []
    for match in re.finditer(r"^### +-([A-Za-z][A-Za-z0-9]*)\s*$(.*?)(?=^### |\Z)", section, re.MULTILINE | re.DOTALL):
        for block in re.findall(r"```yaml\s*$(.*?)^```", match.group(2), re.MULTILINE | re.DOTALL):
            fields = {}
            for line in block.splitlines():
                key, sep, value = line.partition(":")
                if sep:
                    fields[key.strip()] = value.strip()
            found.append((match.group(1), fields))
    return found


def _position(text: str) -> int | None:
    return int(text) if text.strip().lstrip("-").isdigit() else None


def _outputs(sections: dict[str, str], whole: str) -> dict[str, Any]:
    """Output types (OUTPUTS headings) and every property name the page mentions, with where.

    Most pages list no properties; what they do show is ``$_.Name`` in examples, ``Select-Object``
    lists and prose such as "the UpToDate property". Those mentions are recorded as what the page
    documents; anything else the lab returns is an assumption (docs/lab.md says which).
    """
    types: list[str] = []
    for heading in re.findall(r"^### +(.+?)\s*$", sections.get("OUTPUTS", ""), re.MULTILINE):
        types += [t.strip() for t in re.split(r"\s+or\s+|,", heading) if t.strip()]
    mentioned: set[str] = set()
    mentioned.update(re.findall(r"\$_\.([A-Z][A-Za-z0-9]+)", whole))
    mentioned.update(re.findall(r"\bthe ([A-Z][A-Za-z0-9]+) property\b", whole))
    mentioned.update(re.findall(r"\bproperty ([A-Z][A-Za-z0-9]+)\b", whole))
    for listed in re.findall(r"Select-Object(?: -Property)? +([A-Z][A-Za-z0-9]*(?: *, *[A-Z][A-Za-z0-9]*)*)", whole):
        mentioned.update(name.strip() for name in listed.split(","))
    return {"types": types, "mentioned_properties": sorted(mentioned)}


def parse_page(text: str) -> dict[str, Any]:
    """One cmdlet page.

    SYNTAX decides which parameters form each set and which are mandatory or positional: it is
    what Get-Help prints and it is consistent within itself. The per-parameter yaml blocks add the
    .NET type, aliases and the position number. Where the two disagree (some pages list a parameter
    in a set the SYNTAX does not show), the disagreement is kept under ``doc_conflicts`` and SYNTAX
    wins; parameters that only have a yaml block are listed under ``yaml_only``.
    """
    sections = _sections(text)
    syntax_sets, default = _syntax(sections.get("SYNTAX", ""))
    yaml = _yaml_blocks(sections.get("PARAMETERS", ""))
    by_name: dict[str, list[dict[str, str]]] = {}
    for name, fields in yaml:
        by_name.setdefault(name, []).append(fields)
    in_syntax = {name for members in syntax_sets.values() for name in members}
    params: dict[str, dict[str, Any]] = {}
    sets: dict[str, dict[str, dict[str, Any]]] = {}
    conflicts: list[str] = []
    for set_name, members in syntax_sets.items():
        sets[set_name] = {}
        for name, seen in members.items():
            if name in ("WhatIf", "Confirm"):
                continue
            blocks = by_name.get(name, [])
            fields = next(
                (b for b in blocks if set_name in [s.strip() for s in b.get("Parameter Sets", "").split(",")]),
                next((b for b in blocks if b.get("Parameter Sets", "(All)") in ("(All)", "")), None),
            )
            if blocks and fields is None:
                fields = blocks[0]
                conflicts.append(
                    f"{name}: SYNTAX shows it in {set_name}, its yaml block in {fields.get('Parameter Sets')}"
                )
            fields = fields or {}
            doc_type = fields.get("Type") or seen["type"]
            aliases = [a.strip() for a in fields.get("Aliases", "").split(",") if a.strip()]
            params.setdefault(name, {"type": doc_type, "aliases": aliases})
            required = fields.get("Required", "").lower()
            if fields and required.startswith(("true", "false")) and required.startswith("true") != seen["mandatory"]:
                said = f"SYNTAX says mandatory={seen['mandatory']}, yaml Required={fields['Required']}"
                conflicts.append(f"{name} in {set_name}: {said}")
            sets[set_name][name] = {
                **({"provider": seen["provider"]} if "provider" in seen else {}),
                "mandatory": seen["mandatory"],
                "positional": seen["positional"],
                "position": _position(fields.get("Position", "Named")) if seen["positional"] else None,
            }
    yaml_only = sorted(n for n in by_name if n not in in_syntax and n not in COMMON and n not in ("WhatIf", "Confirm"))
    syntax_text = sections.get("SYNTAX", "")
    return {
        "module": _front_matter(text).get("Module Name", ""),
        "default_set": default,
        "should_process": "-WhatIf" in syntax_text,
        "parameters": {name: params[name] for name in sorted(params)},
        "parameter_sets": {name: dict(sorted(sets[name].items())) for name in sorted(sets)},
        "yaml_only": yaml_only,
        "doc_conflicts": conflicts,
        "outputs": _outputs(sections, text),
    }


# --- cmdlet names ----------------------------------------------------------------------------------


def used_names(repo: pathlib.Path) -> list[str]:
    """Verb-Noun names in what the collection sends and in the lab's simulated cmdlets."""
    names: set[str] = set()
    for pattern in SCANNED:
        for path in sorted(repo.glob(pattern)):
            names.update(VERB_NOUN.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def _find_page(clone: Clone, commit: str, folders: tuple[str, ...], name: str) -> str | None:
    for folder in folders:
        if f"{name}.md" in clone.files(commit, folder):
            return f"{folder}/{name}.md"
    return None


def build_cmdlets(office: Clone, psdocs: Clone, repo: pathlib.Path) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    legacy_rows: dict[str, Any] = {}
    not_found: list[str] = []
    routes = (
        (office, COMMITS["office"], OFFICE_FOLDERS),
        (psdocs, COMMITS["psdocs"], PSDOCS_FOLDERS),
        (psdocs, COMMITS["psdocs_psget"], PSGET_FOLDERS),
    )
    for name in used_names(repo):
        for clone, commit, folders in routes:
            path = _find_page(clone, commit, folders, name)
            if path is not None:
                rows[name] = {"source": source(clone.repo, commit, path), **parse_page(clone.show(commit, path))}
                break
        else:
            not_found.append(name)
    for name in LEGACY_ONLINE:
        path = f"skype/skype-ps/skype/{name}.md"
        commit = COMMITS["office_legacy"]
        legacy_rows[name] = {"source": source(office.repo, commit, path), **parse_page(office.show(commit, path))}
    return {
        "about": "Cmdlet signatures from Microsoft's cmdlet reference; see README.md.",
        "cmdlets": rows,
        "legacy_online": legacy_rows,
        "without_page": not_found,
    }


# --- compatibility profiles ------------------------------------------------------------------------


def _script_commands(repo: pathlib.Path) -> set[str]:
    names = set(used_names(repo))
    for script in ("bootstrap.ps1", "runner.ps1"):
        names.update(VERB_NOUN.findall((repo / "plugins" / "plugin_utils" / script).read_text(encoding="utf-8")))
    return names


def build_platforms(pssa: Clone, repo: pathlib.Path) -> dict[str, Any]:
    wanted = _script_commands(repo)
    commit = COMMITS["pssa"]
    platforms: dict[str, Any] = {}
    for key, path in PLATFORMS.items():
        profile = json.loads(pssa.show(commit, path).lstrip("\ufeff"))
        compat = profile["Compatibility"]
        commands: dict[str, Any] = {}
        for module, versions in compat["Modules"].items():
            for version, body in versions.items():
                for kind in ("Cmdlets", "Functions"):
                    for name, spec in (body.get(kind) or {}).items():
                        if name not in wanted:
                            continue
                        parameters = {
                            pname: {
                                "type": pspec.get("Type", ""),
                                "sets": sorted(pspec.get("ParameterSets", {}) or {}),
                            }
                            for pname, pspec in sorted((spec.get("Parameters") or {}).items())
                        }
                        commands[name] = {
                            "module": module,
                            "module_version": version,
                            "kind": kind[:-1].lower(),
                            "parameter_sets": spec.get("ParameterSets") or [],
                            "default_set": spec.get("DefaultParameterSet"),
                            "parameters": parameters,
                            "aliases": dict(sorted((spec.get("ParameterAliases") or {}).items())),
                        }
        accelerators = {
            name: entry["Type"]
            for name, entry in sorted(compat["Types"]["TypeAccelerators"].items(), key=lambda item: item[0].lower())
        }
        assemblies = sorted(compat["Types"].get("Assemblies", {}))
        platforms[key] = {
            "source": source(pssa.repo, commit, path),
            "os": profile["Platform"]["OperatingSystem"]["Name"],
            "os_version": profile["Platform"]["OperatingSystem"]["Version"],
            "powershell": profile["Platform"]["PowerShell"]["Version"],
            "clr": profile["Platform"][".NET"]["ClrVersion"],
            "runtime": profile["Platform"][".NET"]["Runtime"],
            "commands": dict(sorted(commands.items())),
            "type_accelerators": accelerators,
            "assemblies_with_types": assemblies,
        }
    return {
        "about": "Windows PowerShell platforms from PSScriptAnalyzer compatibility profiles; see README.md.",
        "platforms": platforms,
    }


def _dump(data: dict[str, Any]) -> str:
    """JSON with one line per table row (a cmdlet, a platform's command), so reviews see row diffs."""

    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"))

    def block(value: Any, indent: str, depth: int) -> str:
        if not isinstance(value, dict) or not value or depth == 0:
            return compact(value)
        inner = indent + " "
        rows = [f"{inner}{compact(key)}: {block(item, inner, depth - 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(rows) + "\n" + indent + "}"

    return block(data, "", 4) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--office-docs", type=pathlib.Path, required=True, help="git dir of " + OFFICE)
    parser.add_argument("--powershell-docs", type=pathlib.Path, required=True, help="git dir of " + PSDOCS)
    parser.add_argument("--psscriptanalyzer", type=pathlib.Path, required=True, help="git dir of " + PSSA)
    parser.add_argument("--out", type=pathlib.Path, default=HERE)
    parser.add_argument("--check", action="store_true", help="compare with the files in --out, write nothing")
    args = parser.parse_args(argv)
    try:
        outputs = {
            "cmdlets.json": _dump(
                build_cmdlets(Clone(OFFICE, args.office_docs), Clone(PSDOCS, args.powershell_docs), REPO)
            ),
            "platforms.json": _dump(build_platforms(Clone(PSSA, args.psscriptanalyzer), REPO)),
        }
    except SourceError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    stale = []
    for name, text in outputs.items():
        target = args.out / name
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            target.write_text(text, encoding="utf-8")
    if stale:
        print(f"generate: out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
