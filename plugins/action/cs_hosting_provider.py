# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of lync.hybrid.cs_hosting_provider; documentation in plugins/modules."""

from __future__ import annotations

import typing as t

from ansible_collections.lync.hybrid.plugins.plugin_utils import _hosting
from ansible_collections.lync.hybrid.plugins.plugin_utils._action import CsActionBase


class ActionModule(CsActionBase):
    ARGUMENT_SPEC = _hosting.ARGUMENT_SPEC

    def run_module(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        return _hosting.manage(self, args, check_mode=self._task.check_mode)
