"""An interpreter for the subset of Windows PowerShell that the collection's bootstrap and runner use.

The lab host runs the shipped ``bootstrap.ps1`` and ``runner.ps1`` through it, so a change to
either script changes what the lab does. Anything outside the subset raises ``Unsupported``
(naming the construct and the line) instead of being guessed. See docs/lab.md.
"""

from .interpreter import Interpreter
from .syntax import ParseError, Unsupported, parse

__all__ = ["Interpreter", "ParseError", "Unsupported", "parse"]
