# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of lync.hybrid.cs_deployment_facts; documentation in plugins/modules."""

from __future__ import annotations

import typing as t

from ansible_collections.lync.hybrid.plugins.plugin_utils import _clouds, _deployment
from ansible_collections.lync.hybrid.plugins.plugin_utils._action import CsActionBase


class ActionModule(CsActionBase):
    ARGUMENT_SPEC = {
        "gather_subset": {"type": "list", "elements": "str", "default": ["all"]},
        "cloud": {"type": "str", "choices": _clouds.CHOICES, "default": _clouds.DEFAULT},
    }

    def run_module(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        # Read-only: check mode changes nothing, so the same single request runs.
        subsets = _deployment.resolve_subsets(args["gather_subset"])
        return _deployment.gather(self, subsets, cloud=args["cloud"])
