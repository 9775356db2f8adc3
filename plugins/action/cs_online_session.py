# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of lync.hybrid.cs_online_session; documentation in plugins/modules."""

from __future__ import annotations

import typing as t

from ansible_collections.lync.hybrid.plugins.plugin_utils import _online, _session
from ansible_collections.lync.hybrid.plugins.plugin_utils._action import CsActionBase


class ActionModule(CsActionBase):
    ARGUMENT_SPEC = _online.ARGUMENT_SPEC
    MUTUALLY_EXCLUSIVE = _online.MUTUALLY_EXCLUSIVE
    REQUIRED_TOGETHER = _online.REQUIRED_TOGETHER
    REQUIRED_ONE_OF = _online.REQUIRED_ONE_OF

    def run_module(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        # Read-only: check mode runs the same probe, and there is never a diff to show.
        _online.check_options(args)
        return _session.probe(self, args)
