"""Simulated cmdlets of the lab host; importing this package registers all of them.

``base`` is the framework (parameter binding, error records, the per-process shell);
``host`` and ``files`` are Windows commands, ``onprem`` the Lync / SkypeForBusiness module,
``online`` the connectors and sessions, ``tenant`` the tenant cmdlets behind them.
"""

from . import files, host, online, onprem, tenant  # noqa: F401  (imported for their registrations)
from .base import REGISTRY, ErrorRecord, PSError, Runtime, Shell

__all__ = ["REGISTRY", "ErrorRecord", "PSError", "Runtime", "Shell"]
