# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes every lync.hybrid module shares: a Windows-only action plugin without async.

Use it after ansible.builtin.action_common_attributes and its .flow fragment, which describe
the attributes; this fragment only says how lync.hybrid supports them.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  platform:
    platforms: windows
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
"""
