"""Release hygiene: the changelog and the collection docs pass the linters of the docs pipeline.

antsibull-docs lints the *installed* tarball, so it sees exactly what users and the docsite get:
the plugin and role documentation (--plugin-docs, through ansible-doc), docs/docsite/extra-docs.yml,
links.yml and the RST pages they list.
"""

from __future__ import annotations

import pathlib

import yaml

from tests.e2e.install_support import clean_env, tool
from tests.e2e.lab import REPO


def test_changelog_fragments_and_changelog_lint() -> None:
    done = tool("antsibull-changelog", "lint", cwd=REPO, env=clean_env())
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr
    # The release notes hold the release galaxy.yml names.
    version = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    changelog = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))
    assert version in changelog["releases"]
    assert f"v{version}\n" in (REPO / "CHANGELOG.rst").read_text(encoding="utf-8")


def test_collection_docs_lint_clean(installed: pathlib.Path) -> None:
    done = tool(
        "antsibull-docs", "lint-collection-docs", "--plugin-docs", installed, cwd=installed.parents[2], env=clean_env()
    )
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr
    # The guides page is what the docsite shows, and it names every Markdown guide the tarball ships.
    extra = yaml.safe_load((installed / "docs" / "docsite" / "extra-docs.yml").read_text(encoding="utf-8"))
    (page,) = (ref for section in extra["sections"] for ref in section["toctree"])
    text = (installed / "docs" / "docsite" / "rst" / f"{page}.rst").read_text(encoding="utf-8")
    guides = sorted(path.name for path in (installed / "docs").glob("*.md"))
    assert guides and [name for name in guides if f"``docs/{name}``" not in text] == []
