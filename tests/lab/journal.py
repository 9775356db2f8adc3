"""JSON-lines journal of what the lab host saw, with secrets masked before anything is kept.

The journal is the lab's evidence: tests and humans read it to check what crossed the wire
(how many requests, how many bytes, which command lines). Because command lines and user
input can carry passwords, every registered secret is replaced by ``********`` before an
event is stored in memory or written to disk, so a journal file is always safe to share.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

MASK = "********"


class Journal:
    """Thread-safe, append-only event log; one JSON object per line, each with ``ts`` and ``event``.

    Args:
        path: File to append to, or None to keep events in memory only (``.events`` is always kept).
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.events: list[dict[str, Any]] = []
        self._secrets: list[str] = []
        self._lock = threading.Lock()

    def add_secret(self, value: str) -> None:
        """Register a value that must never appear in the journal (empty values are ignored)."""
        if not value:
            return
        with self._lock:
            if value not in self._secrets:
                self._secrets.append(value)
                # Longest first, so a secret that contains another is masked as a whole.
                self._secrets.sort(key=len, reverse=True)

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        """Mask, keep and append one event; returns the event as stored."""
        with self._lock:
            record = self._mask({"ts": time.time(), "event": event, **fields})
            self.events.append(record)
            if self.path:
                line = json.dumps(record, sort_keys=False, ensure_ascii=False, default=str)
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
            return record

    def select(self, event: str | None = None, **match: Any) -> list[dict[str, Any]]:
        """Events with the given name whose fields equal ``match`` (a convenience for tests)."""
        with self._lock:
            snapshot = list(self.events)
        return [
            record
            for record in snapshot
            if (event is None or record.get("event") == event)
            and all(record.get(key) == value for key, value in match.items())
        ]

    def _mask(self, value: Any) -> Any:
        """Return a JSON-ready copy of ``value`` with every secret masked, however deep it sits."""
        if isinstance(value, str):
            return self._mask_text(value)
        if isinstance(value, bytes | bytearray):
            return self._mask_text(bytes(value).decode("utf-8", errors="replace"))
        if isinstance(value, Mapping):
            return {self._mask_text(str(key)): self._mask(item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._mask(item) for item in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self._mask_text(str(value))

    def _mask_text(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text
