# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of lync.hybrid.cs_user_move; documentation in plugins/modules."""

from __future__ import annotations

import typing as t

from ansible_collections.lync.hybrid.plugins.plugin_utils import _user_move
from ansible_collections.lync.hybrid.plugins.plugin_utils._action import CsActionBase


class ActionModule(CsActionBase):
    ARGUMENT_SPEC = _user_move.ARGUMENT_SPEC

    def run_module(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        return _user_move.Mover(self, args).run(check_mode=self._task.check_mode)
