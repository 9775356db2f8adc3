"""The lab: a fake Windows host (Lync / Skype for Business server + Microsoft 365 tenant) behind a real WinRM listener.

``server``/``wsman``/``journal`` are the transport; ``host``, ``pwsh`` (the PowerShell interpreter), ``state`` and
``cmdlets`` model what happens inside Windows. ``python -m tests.lab serve --state FILE``
runs one; docs/lab.md describes the state files and what is simulated.
"""
