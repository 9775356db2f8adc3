"""Make plain pytest import the checkout as ansible_collections.lync.hybrid."""

from __future__ import annotations

import pathlib

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

REPO = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / "build" / "collections"


def _link_collection() -> None:
    """The Makefile creates this link too; pytest run on its own must not depend on it."""
    link = COLLECTIONS / "ansible_collections" / "lync" / "hybrid"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(pathlib.Path("../../../.."))


_link_collection()
_AnsibleCollectionFinder(paths=[str(COLLECTIONS)])._install()
