"""Runtime values of the interpreter and the .NET type system they belong to.

A value is a plain Python value where one fits (None, bool, int, float = System.Double, str,
list = System.Object[], bytes = System.Byte[], dict = the PSCustomObject ConvertFrom-Json
returns), one of the lab's classes (PSObject for cmdlet output, Credential, Secure, Version,
datetime) or one of the classes below. ``type_of`` names the .NET type of each, and
``is_instance`` answers ``-is`` (§7.8.3) from the base types and interfaces listed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ..cmdlets.base import ErrorRecord
from ..values import Credential, PSObject, Secure, Version
from .syntax import Unsupported

OBJECT_ARRAY = "System.Object[]"
SESSION_TYPE = "System.Management.Automation.Runspaces.PSSession"


class Char(str):
    """A System.Char (§4.2.2): one UTF-16 code unit."""


class Hashtable:
    """System.Collections.Hashtable, or OrderedDictionary for ``[ordered]`` (§4.3.3, §4.3.9, §10).

    PowerShell creates both with a case-insensitive key comparer: ``$h['A']`` finds key 'a', and
    assigning through another spelling keeps the first one (§10.1). Keys keep insertion order in
    both; a real Hashtable enumerates in hash order, which nothing in the runner depends on
    (it sorts the keys it reports).
    """

    __slots__ = ("_data", "ordered")

    def __init__(self, ordered: bool = False) -> None:
        self._data: dict[Any, tuple[Any, Any]] = {}
        self.ordered = ordered

    @staticmethod
    def _norm(key: Any) -> Any:
        return key.lower() if isinstance(key, str) else key

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: Any) -> bool:
        return self._norm(key) in self._data

    def get(self, key: Any) -> Any:
        entry = self._data.get(self._norm(key))
        return None if entry is None else entry[1]

    def set(self, key: Any, value: Any) -> None:
        norm = self._norm(key)
        existing = self._data.get(norm)
        self._data[norm] = (existing[0] if existing else key, value)

    def add(self, key: Any, value: Any) -> bool:
        """Hashtable.Add: False when the key is already there (the caller raises)."""
        if self._norm(key) in self._data:
            return False
        self._data[self._norm(key)] = (key, value)
        return True

    def remove(self, key: Any) -> None:
        self._data.pop(self._norm(key), None)

    def keys(self) -> list[Any]:
        return [key for key, _value in self._data.values()]

    def values(self) -> list[Any]:
        return [value for _key, value in self._data.values()]

    def items(self) -> list[tuple[Any, Any]]:
        return list(self._data.values())

    @property
    def type_name(self) -> str:
        return "System.Collections.Specialized.OrderedDictionary" if self.ordered else "System.Collections.Hashtable"


class ArrayList:
    """System.Collections.ArrayList: Add returns the new index (hence ``[void]$list.Add(...)``)."""

    __slots__ = ("items",)

    def __init__(self, items: list[Any] | None = None) -> None:
        self.items: list[Any] = list(items or [])


class EnumValue:
    """A value of a .NET enum (§4.2.6), e.g. [IO.Compression.CompressionMode]::Decompress."""

    __slots__ = ("name", "type_name", "value")

    def __init__(self, type_name: str, name: str, value: int) -> None:
        self.type_name = type_name
        self.name = name
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EnumValue) and (other.type_name, other.value) == (self.type_name, self.value)

    def __hash__(self) -> int:
        return hash((self.type_name, self.value))


class TypeInfo:
    """A System.Type as ``GetType()`` or a type literal (§7.1.10) returns it."""

    __slots__ = ("full_name",)

    def __init__(self, full_name: str) -> None:
        self.full_name = full_name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypeInfo) and other.full_name.lower() == self.full_name.lower()

    def __hash__(self) -> int:
        return hash(self.full_name.lower())


class Property:
    """One entry of ``$x.PSObject.Properties``: Name and Value (§4.5.25)."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: Any) -> None:
        self.name = name
        self.value = value


class Utf8Encoding:
    """``[Text.Encoding]::UTF8`` (a System.Text.UTF8Encoding): only GetString(byte[]) is modelled."""

    __slots__ = ()


class PSObjectView:
    """``$x.PSObject``: the adapter view whose Properties the runner enumerates."""

    __slots__ = ("target",)

    def __init__(self, target: Any) -> None:
        self.target = target


class DictionaryEntry:
    """What enumerating a dictionary yields (Key, Value)."""

    __slots__ = ("key", "value")

    def __init__(self, key: Any, value: Any) -> None:
        self.key = key
        self.value = value


class MatchValue:
    """A System.Text.RegularExpressions.Match handed to a MatchEvaluator."""

    __slots__ = ("index", "value")

    def __init__(self, value: str, index: int) -> None:
        self.value = value
        self.index = index


class ScriptBlock:
    """A script block value (§4.3.7): the folded tree and its text (``[string]$sb`` is the text)."""

    __slots__ = ("script", "text")

    def __init__(self, script: Any, text: str) -> None:
        self.script = script
        self.text = text


class ErrorRecordValue:
    """An ErrorRecord as ``$_`` holds it in a catch block (§8.7, §4.5.15)."""

    __slots__ = ("record",)

    def __init__(self, record: ErrorRecord) -> None:
        self.record = record


class ExceptionValue:
    """``$_.Exception``: Message and GetType().FullName."""

    __slots__ = ("message", "type_name")

    def __init__(self, type_name: str, message: str) -> None:
        self.type_name = type_name
        self.message = message


class CategoryInfo:
    __slots__ = ("category",)

    def __init__(self, category: str) -> None:
        self.category = category


class Stopwatch:
    """System.Diagnostics.Stopwatch (StartNew, Elapsed)."""

    __slots__ = ("started",)

    def __init__(self, started: float) -> None:
        self.started = started


class X509StoreValue:
    """System.Security.Cryptography.X509Certificates.X509Store: a store of one process, opened or not."""

    __slots__ = ("location", "name", "opened", "shell")

    def __init__(self, name: str, location: str, shell: Any) -> None:
        self.name = name
        self.location = location
        self.shell = shell
        self.opened = False


class CertificateValue:
    """An X509Certificate2 read from a store: Thumbprint and HasPrivateKey."""

    __slots__ = ("has_private_key", "store", "thumbprint")

    def __init__(self, thumbprint: str, has_private_key: bool, store: str) -> None:
        self.thumbprint = thumbprint
        self.has_private_key = has_private_key
        self.store = store


class MemoryStream:
    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class GZipStream:
    __slots__ = ("inner", "mode")

    def __init__(self, inner: Any, mode: EnumValue) -> None:
        self.inner = inner
        self.mode = mode


class StreamReader:
    __slots__ = ("stream",)

    def __init__(self, stream: Any) -> None:
        self.stream = stream


# --- the type system ----------------------------------------------------------------------------

# Full name -> base classes and interfaces that -is and overload resolution consult (§7.8.3, §3.7.5).
_ENUMERABLE = ("System.Collections.IEnumerable",)
_LIST = ("System.Collections.IList", "System.Collections.ICollection", *_ENUMERABLE)
_DICTIONARY = ("System.Collections.IDictionary", "System.Collections.ICollection", *_ENUMERABLE)
_VALUE = ("System.ValueType",)
BASES: dict[str, tuple[str, ...]] = {
    "System.String": ("System.IComparable", "System.IConvertible", *_ENUMERABLE),
    "System.Char": (*_VALUE, "System.IComparable", "System.IConvertible"),
    "System.Boolean": (*_VALUE, "System.IComparable", "System.IConvertible"),
    "System.Int32": (*_VALUE, "System.IComparable", "System.IConvertible", "System.IFormattable"),
    "System.Int64": (*_VALUE, "System.IComparable", "System.IConvertible", "System.IFormattable"),
    "System.Byte": (*_VALUE, "System.IComparable", "System.IConvertible", "System.IFormattable"),
    "System.Double": (*_VALUE, "System.IComparable", "System.IConvertible", "System.IFormattable"),
    "System.DateTime": (*_VALUE, "System.IComparable", "System.IConvertible", "System.IFormattable"),
    "System.TimeSpan": (*_VALUE, "System.IComparable", "System.IFormattable"),
    "System.Version": ("System.IComparable", "System.ICloneable"),
    OBJECT_ARRAY: ("System.Array", *_LIST),
    "System.Byte[]": ("System.Array", *_LIST),
    "System.Char[]": ("System.Array", *_LIST),
    "System.Collections.Hashtable": _DICTIONARY,
    "System.Collections.Specialized.OrderedDictionary": (
        "System.Collections.Specialized.IOrderedDictionary",
        *_DICTIONARY,
    ),
    "System.Collections.ArrayList": _LIST,
    "System.IO.MemoryStream": ("System.IO.Stream", "System.IDisposable"),
    "System.IO.Compression.GZipStream": ("System.IO.Stream", "System.IDisposable"),
    "System.IO.StreamReader": ("System.IO.TextReader", "System.IDisposable"),
    "System.IO.Compression.CompressionMode": ("System.Enum", *_VALUE),
    "System.IO.Compression.CompressionLevel": ("System.Enum", *_VALUE),
    "System.Management.Automation.ErrorRecord": (),
    "System.Management.Automation.ScriptBlock": (),
    "System.Management.Automation.PSCustomObject": (),
    "System.Management.Automation.PSCredential": (),
    "System.Security.SecureString": ("System.IDisposable",),
    "System.Diagnostics.Stopwatch": (),
    "System.Text.UTF8Encoding": ("System.Text.Encoding", "System.ICloneable"),
    "System.Text.RegularExpressions.Match": ("System.Text.RegularExpressions.Group",),
    "System.RuntimeType": ("System.Type", "System.Reflection.MemberInfo"),
    "System.Management.Automation.PSNoteProperty": ("System.Management.Automation.PSPropertyInfo",),
    "System.Collections.DictionaryEntry": _VALUE,
    SESSION_TYPE: (),
    "System.Net.ServicePointManager": (),
    "System.Net.SecurityProtocolType": ("System.Enum", *_VALUE),
    "System.Security.Cryptography.X509Certificates.X509Store": (),
    "System.Security.Cryptography.X509Certificates.X509Certificate2": (
        "System.Security.Cryptography.X509Certificates.X509Certificate",
    ),
    "System.Security.Cryptography.X509Certificates.StoreLocation": ("System.Enum", *_VALUE),
    "System.Security.Cryptography.X509Certificates.StoreName": ("System.Enum", *_VALUE),
    "System.Security.Cryptography.X509Certificates.OpenFlags": ("System.Enum", *_VALUE),
}
PRIMITIVE = {"System.Boolean", "System.Char", "System.Int32", "System.Int64", "System.Byte", "System.Double"}

# Type names the lab knows (§3.9): full names, and the accelerators the two scripts use.
ACCELERATORS = {
    "string": "System.String",
    "char": "System.Char",
    "int": "System.Int32",
    "long": "System.Int64",
    "byte": "System.Byte",
    "bool": "System.Boolean",
    "double": "System.Double",
    "decimal": "System.Decimal",
    "guid": "System.Guid",
    "version": "System.Version",
    "uri": "System.Uri",
    "enum": "System.Enum",
    "datetime": "System.DateTime",
    "timespan": "System.TimeSpan",
    "void": "System.Void",
    "object": "System.Object",
    "array": "System.Array",
    "hashtable": "System.Collections.Hashtable",
    "ordered": "System.Collections.Specialized.OrderedDictionary",
    "math": "System.Math",
    "regex": "System.Text.RegularExpressions.Regex",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "pscredential": "System.Management.Automation.PSCredential",
    "securestring": "System.Security.SecureString",
    "psobject": "System.Management.Automation.PSObject",
    "pscustomobject": "System.Management.Automation.PSObject",
    "type": "System.Type",
}
KNOWN = {
    name.lower(): name
    for name in [
        *BASES,
        *(base for bases in BASES.values() for base in bases),
        *ACCELERATORS.values(),
        "System.Object",
        "System.Convert",
        "System.Text.Encoding",
        "System.IO.Compression.CompressionMode",
        "System.Text.RegularExpressions.MatchEvaluator",
    ]
}


def resolve_type(name: str, line: int) -> str:
    """A type name as written (``IO.MemoryStream``, ``[int]``) -> its full name (§3.9).

    PowerShell also tries the name with ``System.`` in front. A type the lab does not model is
    refused: the lab cannot tell whether Windows has it.
    """
    lower = name.lower()
    if lower in ACCELERATORS:
        return ACCELERATORS[lower]
    for candidate in (lower, "system." + lower):
        if candidate in KNOWN:
            return KNOWN[candidate]
    raise Unsupported(f"the .NET type [{name}]", line)


def type_of(value: Any) -> str:
    """The full .NET type name of a value (what ``$x.GetType().FullName`` returns)."""
    if value is None:
        raise ValueError("$null has no type")
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    if isinstance(value, float):
        return "System.Double"
    if isinstance(value, Char):
        return "System.Char"
    if isinstance(value, Version):
        return "System.Version"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, list):
        return OBJECT_ARRAY
    if isinstance(value, bytes):
        return "System.Byte[]"
    if isinstance(value, dict):
        return "System.Management.Automation.PSCustomObject"
    if isinstance(value, PSObject):
        return value.type_name
    if isinstance(value, Hashtable | EnumValue):
        return value.type_name
    simple = _SIMPLE_TYPES.get(type(value))
    if simple is not None:
        return simple
    raise Unsupported(f"a value of Python type {type(value).__name__}", 0)


_SIMPLE_TYPES: dict[type, str] = {
    ArrayList: "System.Collections.ArrayList",
    Credential: "System.Management.Automation.PSCredential",
    Secure: "System.Security.SecureString",
    dt.datetime: "System.DateTime",
    dt.timedelta: "System.TimeSpan",
    TypeInfo: "System.RuntimeType",
    Property: "System.Management.Automation.PSNoteProperty",
    PSObjectView: "System.Management.Automation.PSObject",
    DictionaryEntry: "System.Collections.DictionaryEntry",
    MatchValue: "System.Text.RegularExpressions.Match",
    ScriptBlock: "System.Management.Automation.ScriptBlock",
    ErrorRecordValue: "System.Management.Automation.ErrorRecord",
    ExceptionValue: "System.Exception",
    CategoryInfo: "System.Management.Automation.ErrorCategoryInfo",
    Stopwatch: "System.Diagnostics.Stopwatch",
    MemoryStream: "System.IO.MemoryStream",
    GZipStream: "System.IO.Compression.GZipStream",
    StreamReader: "System.IO.StreamReader",
    Utf8Encoding: "System.Text.UTF8Encoding",
    X509StoreValue: "System.Security.Cryptography.X509Certificates.X509Store",
    CertificateValue: "System.Security.Cryptography.X509Certificates.X509Certificate2",
}


def is_instance(value: Any, full_name: str) -> bool:
    """``$value -is [type]`` (§7.8.3): the type itself, a base class or an interface; $null is nothing.

    ``[psobject]`` is true for every value (every object is wrapped when it reaches the
    pipeline); ``[System.Management.Automation.PSCustomObject]`` only for ConvertFrom-Json
    objects and Select-Object results.
    """
    if value is None:
        return False
    wanted = full_name.lower()
    if wanted in ("system.object", "system.management.automation.psobject"):
        return True
    actual = type_of(value)
    if isinstance(value, ExceptionValue):
        return wanted in (actual.lower(), value.type_name.lower())
    return wanted == actual.lower() or wanted in (base.lower() for base in BASES.get(actual, ()))


def is_enumerable(value: Any) -> bool:
    """Collections the pipeline and foreach enumerate (§8.2, §8.4.4): arrays and lists, not strings or dictionaries."""
    return isinstance(value, list | bytes | ArrayList)


def enumerate_value(value: Any) -> Iterator[Any]:
    if isinstance(value, list | bytes):
        return iter(value)
    if isinstance(value, ArrayList):
        return iter(list(value.items))
    return iter((value,))
