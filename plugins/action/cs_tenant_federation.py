# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of lync.hybrid.cs_tenant_federation; documentation in plugins/modules."""

from __future__ import annotations

import typing as t

from ansible_collections.lync.hybrid.plugins.plugin_utils import _federation, _online
from ansible_collections.lync.hybrid.plugins.plugin_utils._action import CsActionBase


class ActionModule(CsActionBase):
    ARGUMENT_SPEC = {
        **_online.ARGUMENT_SPEC,
        "shared_sip_address_space": {"type": "bool"},
        "allow_federated_users": {"type": "bool"},
        # Refused with an explanation (_federation.PUBLIC_USERS_REMOVED), not as an unknown option.
        "allow_public_users": {"type": "bool"},
        "read_tenant": {"type": "bool", "default": False},
    }
    MUTUALLY_EXCLUSIVE = _online.MUTUALLY_EXCLUSIVE
    REQUIRED_TOGETHER = _online.REQUIRED_TOGETHER
    # "Nothing to manage" is checked in _federation.check_options, after the removed allow_public_users is named.
    REQUIRED_ONE_OF = _online.REQUIRED_ONE_OF

    def run_module(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        _federation.check_options(args)
        _online.check_options(args)
        return _federation.manage(self, args, check_mode=self._task.check_mode)
