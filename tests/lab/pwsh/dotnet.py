"""The .NET members the two scripts touch: properties, methods, static members and constructors.

Overloaded constructors and static methods go through ``resolve`` (overload resolution, §3.7),
so a call Windows PowerShell would refuse is refused here with the same error: the wrong
number of arguments (``Cannot find an overload ...``), or two equally good overloads
(``Multiple ambiguous overloads found ...``, e.g. ``New-Object IO.Compression.GZipStream($s,
'Decompress')``: a string converts to both CompressionMode and CompressionLevel, and .NET
Framework 4.5+ has a constructor for each,
https://learn.microsoft.com/dotnet/api/system.io.compression.gzipstream.-ctor?view=netframework-4.8).
A member the lab does not model is refused (``Unsupported``) rather than guessed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..cmdlets import tls
from ..cmdlets.base import ErrorRecord, PSError
from ..values import Credential, PSObject, Secure, Version
from .convert import (
    cannot_convert,
    runtime_error,
    shown,
    to_bool,
    to_char,
    to_double,
    to_int,
    to_string,
    type_label,
)
from .model import (
    BASES,
    PRIMITIVE,
    ArrayList,
    CategoryInfo,
    CertificateValue,
    Char,
    DictionaryEntry,
    EnumValue,
    ErrorRecordValue,
    ExceptionValue,
    GZipStream,
    Hashtable,
    MatchValue,
    MemoryStream,
    Property,
    PSObjectView,
    ScriptBlock,
    Stopwatch,
    StreamReader,
    TypeInfo,
    Utf8Encoding,
    X509StoreValue,
    is_enumerable,
    type_of,
)
from .syntax import Unsupported

METHOD_EXCEPTION = "System.Management.Automation.MethodException"
INVOCATION_EXCEPTION = "System.Management.Automation.MethodInvocationException"
_X509 = "System.Security.Cryptography.X509Certificates"
ENUMS = {
    "System.IO.Compression.CompressionMode": {"Decompress": 0, "Compress": 1},
    "System.IO.Compression.CompressionLevel": {"Optimal": 0, "Fastest": 1, "NoCompression": 2},
    # https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.storelocation,
    # .storename and .openflags
    f"{_X509}.StoreLocation": {"CurrentUser": 1, "LocalMachine": 2},
    f"{_X509}.StoreName": {
        "AddressBook": 1,
        "AuthRoot": 2,
        "CertificateAuthority": 3,
        "Disallowed": 4,
        "My": 5,
        "Root": 6,
        "TrustedPeople": 7,
        "TrustedPublisher": 8,
    },
    f"{_X509}.OpenFlags": {
        "ReadOnly": 0,
        "ReadWrite": 1,
        "MaxAllowed": 2,
        "OpenExistingOnly": 4,
        "IncludeArchived": 8,
    },
}


def method_failed(method: str, count: int, message: str, fqid: str) -> PSError:
    """A .NET method that throws: MethodInvocationException 'Exception calling "X" with "n" argument(s)'."""
    return PSError(
        ErrorRecord(
            f'Exception calling "{method}" with "{count}" argument(s): "{message}"',
            fqid,
            "NotSpecified",
            INVOCATION_EXCEPTION,
        )
    )


# --- overload resolution (§3.7) -----------------------------------------------------------------

_NUMERIC = ("System.Byte", "System.Int32", "System.Int64", "System.Double", "System.Decimal")
_REFERENCE_FREE = {*PRIMITIVE, "System.Decimal", *ENUMS}


def rank(value: Any, target: str) -> int | None:
    """How good converting ``value`` to ``target`` is (higher is better), or None: §3.7.5's ladder."""
    if value is None:
        return 100 if target not in _REFERENCE_FREE else 10
    actual = type_of(value)
    if actual == target:
        return 100
    if target == "System.Char[]" and isinstance(value, str) and not isinstance(value, Char):
        return 95  # string to char[]
    if target == "System.Object" or target in BASES.get(actual, ()):
        return 90  # base class or interface: an assignable conversion
    if actual in _NUMERIC and target in _NUMERIC:
        widening = _NUMERIC.index(target) > _NUMERIC.index(actual)
        return 85 if widening else 75
    if (actual in _NUMERIC and target in ("System.String", "System.Char")) or (
        actual == "System.String" and target in _NUMERIC and _numeric_text(value)
    ):
        return 80
    if target == "System.Boolean":
        return 70  # "T to bool" (Language)
    if target in ENUMS:
        # By type, not by value: any string may name a member (§3.7.5 "string to enum"); an unknown name
        # fails only when the chosen overload converts it.
        if isinstance(value, str):
            return 60
        if isinstance(value, int) and not isinstance(value, bool):
            return 40  # via IConvertible
        return None
    if target.endswith("[]") and not is_enumerable(value):
        element = rank(value, target[:-2])
        return None if element is None else element - 1  # T1 to T2[]: just below T1 to T2 (§3.7.5)
    if target == "System.Text.RegularExpressions.MatchEvaluator" and isinstance(value, ScriptBlock):
        return 30  # a script block converted to a delegate
    if target == "System.String":
        return 20  # T to string
    return None


def _numeric_text(value: Any) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def convert_to(value: Any, target: str) -> Any:
    """Apply the conversion ``rank`` accepted."""
    if target in ("System.String",):
        return None if value is None else to_string(value)
    if target == "System.Int32":
        return to_int(value)
    if target == "System.Double":
        return to_double(value)
    if target == "System.Char":
        return to_char(value)
    if target == "System.Boolean":
        return to_bool(value)
    if target == "System.Char[]":
        return [Char(char) for char in to_string(value)]
    if target in ENUMS:
        if isinstance(value, EnumValue):
            return value
        names = ENUMS[target]
        for name, number in names.items():
            if (isinstance(value, str) and name.lower() == value.lower()) or value == number:
                return EnumValue(target, name, number)
        raise cannot_convert(
            value,
            target,
            f"Unable to match the identifier name {to_string(value)} to a valid "
            f"enumerator name. Specify one of the following enumerator names and try again:\r\n"
            f"{', '.join(names)}",
        )
    return value


@dataclass(frozen=True)
class Overload:
    """One signature: parameter names and full type names, and what it does (None: not modelled)."""

    params: tuple[tuple[str, str], ...]
    run: Callable[..., Any] | None = None


def _better(first: list[int], second: list[int]) -> bool:
    """§3.7.4: argument X is worth N-X+1; the method with the larger cumulative ranking is better."""
    count = len(first)
    score_first = score_second = 0
    for index, (a, b) in enumerate(zip(first, second, strict=True)):
        worth = count - index
        if a > b:
            score_first += worth
        elif b > a:
            score_second += worth
    return score_first > score_second


def resolve(name: str, overloads: list[Overload], args: list[Any], line: int) -> tuple[Overload, list[Any]]:
    """Pick the best overload (§3.7.2) or raise the error Windows PowerShell raises."""
    count = len(args)
    candidates = [overload for overload in overloads if len(overload.params) == count]
    if not candidates:
        raise PSError(
            ErrorRecord(
                f'Cannot find an overload for "{name}" and the argument count: "{count}".',
                "MethodCountCouldNotFindBest",
                "NotSpecified",
                METHOD_EXCEPTION,
            )
        )
    applicable = []
    for overload in candidates:
        ranks = [rank(arg, type_name) for arg, (_param, type_name) in zip(args, overload.params, strict=True)]
        if all(value is not None for value in ranks):
            applicable.append((overload, [value for value in ranks if value is not None]))
    if not applicable:
        overload = candidates[0]
        for arg, (param, type_name) in zip(args, overload.params, strict=True):
            if rank(arg, type_name) is None:
                raise PSError(
                    ErrorRecord(
                        f'Cannot convert argument "{param}", with value: "{shown(arg)}", for "{name}" to type '
                        f'"{type_name}": "Cannot convert the "{shown(arg)}" value of type "{type_label(arg)}" to type '
                        f'"{type_name}"."',
                        "MethodArgumentConversionInvalidCastArgument",
                        "NotSpecified",
                        METHOD_EXCEPTION,
                    )
                )
    best = [
        (overload, ranks)
        for overload, ranks in applicable
        if all(_better(ranks, other) for other_overload, other in applicable if other_overload is not overload)
    ]
    if len(best) != 1:
        raise PSError(
            ErrorRecord(
                f'Multiple ambiguous overloads found for "{name}" and the argument count: "{count}".',
                "MethodCountCouldNotFindBest",
                "NotSpecified",
                METHOD_EXCEPTION,
            )
        )
    overload = best[0][0]
    if overload.run is None:
        raise Unsupported(f"the overload {name}({', '.join(t for _param, t in overload.params)})", line)
    converted = [convert_to(arg, type_name) for arg, (_param, type_name) in zip(args, overload.params, strict=True)]
    return overload, converted


# --- constructors (New-Object) ------------------------------------------------------------------


def _memory_stream(buffer: list[Any] | bytes) -> MemoryStream:
    return MemoryStream(bytes(buffer))


def _credential(username: str | None, password: Secure) -> Credential:
    if not username:
        raise ValueError(
            'Cannot process argument because the value of argument "userName" is not valid. Change the value of the '
            '"userName" argument and run the operation again.'
        )
    # The services the lab plays compare passwords as text; the SecureString holds UTF-16 code units.
    return Credential(username, _from_utf16(password.value))


def _x509_store(shell: Any) -> Callable[[str, EnumValue], X509StoreValue]:
    def make(name: str, location: EnumValue) -> X509StoreValue:
        return X509StoreValue(name, location.name, shell)

    return make


_STREAM = "System.IO.Stream"
CONSTRUCTORS: dict[str, list[Overload]] = {
    "System.Collections.ArrayList": [
        Overload((), ArrayList),
        Overload((("capacity", "System.Int32"),), lambda capacity: ArrayList()),
        Overload((("c", "System.Collections.ICollection"),)),
    ],
    "System.Security.SecureString": [Overload((), lambda: Secure(""))],
    "System.IO.MemoryStream": [
        Overload((), lambda: MemoryStream(b"")),
        Overload((("capacity", "System.Int32"),), lambda capacity: MemoryStream(b"")),
        Overload((("buffer", "System.Byte[]"),), _memory_stream),
        Overload((("buffer", "System.Byte[]"), ("writable", "System.Boolean"))),
        Overload((("buffer", "System.Byte[]"), ("index", "System.Int32"), ("count", "System.Int32"))),
    ],
    "System.IO.Compression.GZipStream": [
        Overload((("stream", _STREAM), ("mode", "System.IO.Compression.CompressionMode")), GZipStream),
        Overload((("stream", _STREAM), ("compressionLevel", "System.IO.Compression.CompressionLevel"))),
        Overload(
            (("stream", _STREAM), ("mode", "System.IO.Compression.CompressionMode"), ("leaveOpen", "System.Boolean"))
        ),
        Overload(
            (
                ("stream", _STREAM),
                ("compressionLevel", "System.IO.Compression.CompressionLevel"),
                ("leaveOpen", "System.Boolean"),
            )
        ),
    ],
    "System.IO.StreamReader": [
        Overload((("stream", _STREAM),), StreamReader),
        Overload((("path", "System.String"),)),
        Overload((("stream", _STREAM), ("detectEncodingFromByteOrderMarks", "System.Boolean"))),
        Overload((("path", "System.String"), ("detectEncodingFromByteOrderMarks", "System.Boolean"))),
    ],
    "System.Management.Automation.PSCredential": [
        Overload((("userName", "System.String"), ("password", "System.Security.SecureString")), _credential),
        Overload((("pso", "System.Management.Automation.PSObject"),)),
    ],
}


def _x509_store_overloads(shell: Any) -> list[Overload]:
    """X509Store's constructors (https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509store.-ctor);
    only (String storeName, StoreLocation) is modelled, the others are refused."""
    location = f"{_X509}.StoreLocation"
    return [
        Overload(()),
        Overload((("storeHandle", "System.IntPtr"),)),
        Overload((("storeLocation", location),)),
        Overload((("storeName", f"{_X509}.StoreName"),)),
        Overload((("storeName", "System.String"),)),
        Overload((("storeName", f"{_X509}.StoreName"), ("storeLocation", location))),
        Overload((("storeName", "System.String"), ("storeLocation", location)), _x509_store(shell)),
    ]


def construct(full_name: str, args: list[Any], line: int, shell: Any = None) -> Any:
    """``New-Object <type> -ArgumentList args``: overload resolution, then the .NET constructor."""
    overloads = CONSTRUCTORS.get(full_name)
    if full_name == f"{_X509}.X509Store":
        overloads = _x509_store_overloads(shell)
    if overloads is None:
        raise Unsupported(f"New-Object {full_name}", line)
    short = full_name.rsplit(".", 1)[-1]
    overload, converted = resolve(short, overloads, args, line)
    assert overload.run is not None
    try:
        return overload.run(*converted)
    except ValueError as exc:
        raise method_failed(".ctor", len(args), str(exc), "ConstructorInvokedThrowException") from None


# --- static members -----------------------------------------------------------------------------


def _from_base64(text: str) -> bytes:
    """Convert.FromBase64String: whitespace is ignored, anything else outside the alphabet throws."""
    compact = "".join(text.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding "
            "characters, or an illegal character among the padding characters. "
        ) from None


def _from_utf16(units: str) -> str:
    """The text a string of UTF-16 code units spells: surrogate pairs become one character again."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _utf16(text: str) -> str:
    """A .NET string is UTF-16: characters outside the BMP are two code units (surrogates)."""
    if all(ord(char) < 0x10000 for char in text):
        return text
    out = []
    for char in text:
        code = ord(char)
        if code < 0x10000:
            out.append(char)
        else:
            code -= 0x10000
            out.extend((chr(0xD800 + (code >> 10)), chr(0xDC00 + (code & 0x3FF))))
    return "".join(out)


def _regex_replace(interpreter: Any) -> Callable[..., str]:
    def run(text: str, pattern: str, evaluator: ScriptBlock) -> str:
        from .operators import dotnet_regex

        regex = dotnet_regex(pattern, False)

        def call(match: Any) -> str:
            return to_string(interpreter.call_script_block(evaluator, [MatchValue(match[0], match.start())]))

        return regex.sub(call, _utf16(text))

    return run


def _round(value: float, digits: int) -> float:
    if not 0 <= digits <= 15:
        raise ValueError("Rounding digits must be between 0 and 15, inclusive.\r\nParameter name: digits")
    return round(value, digits)


def static_overloads(full_name: str, name: str, interpreter: Any) -> list[Overload] | None:
    key = (full_name, name.lower())
    if key == ("System.Convert", "frombase64string"):
        return [Overload((("s", "System.String"),), _from_base64)]
    if key == ("System.Management.Automation.ScriptBlock", "create"):
        return [Overload((("script", "System.String"),), interpreter.create_script_block)]
    if key == ("System.Diagnostics.Stopwatch", "startnew"):
        return [Overload((), lambda: Stopwatch(time.monotonic()))]
    if key == ("System.Math", "round"):
        return [
            Overload((("a", "System.Double"),), lambda a: float(round(a))),
            Overload((("d", "System.Decimal"),)),
            Overload((("value", "System.Double"), ("digits", "System.Int32")), _round),
            Overload((("d", "System.Decimal"), ("decimals", "System.Int32"))),
        ]
    if key == ("System.Text.RegularExpressions.Regex", "replace"):
        return [
            Overload((("input", "System.String"), ("pattern", "System.String"), ("replacement", "System.String"))),
            Overload(
                (
                    ("input", "System.String"),
                    ("pattern", "System.String"),
                    ("evaluator", "System.Text.RegularExpressions.MatchEvaluator"),
                ),
                _regex_replace(interpreter),
            ),
        ]
    return None


def call_static(full_name: str, name: str, args: list[Any], interpreter: Any, line: int) -> Any:
    overloads = static_overloads(full_name, name, interpreter)
    if overloads is None:
        raise Unsupported(f"the static method [{full_name}]::{name}", line)
    overload, converted = resolve(name, overloads, args, line)
    assert overload.run is not None
    try:
        return overload.run(*converted)
    except ValueError as exc:
        fqid = "FormatException" if name.lower() == "frombase64string" else "ArgumentOutOfRangeException"
        raise method_failed(name, len(args), str(exc), fqid) from None


def _security_protocol(shell: Any) -> EnumValue:
    value = tls.protocols(shell)
    return EnumValue(tls.SECURITY_PROTOCOL_TYPE, tls.flag_names(value), value)


def static_property(full_name: str, name: str, line: int, shell: Any = None) -> Any:
    if full_name == "System.Text.Encoding" and name.lower() == "utf8":
        return Utf8Encoding()
    if full_name == "System.Net.ServicePointManager" and name.lower() == "securityprotocol" and shell is not None:
        return _security_protocol(shell)
    if full_name in ENUMS:
        for member, number in ENUMS[full_name].items():
            if member.lower() == name.lower():
                return EnumValue(full_name, member, number)
        return None
    raise Unsupported(f"the static property [{full_name}]::{name}", line)


def set_static_property(full_name: str, name: str, value: Any, shell: Any, line: int) -> None:
    """``[type]::name = value`` (§7.11.1); a setter that throws becomes 'Exception setting "name"'."""
    if full_name != "System.Net.ServicePointManager" or name.lower() != "securityprotocol" or shell is None:
        raise Unsupported(f"assigning the static property [{full_name}]::{name}", line)
    number = value.value if isinstance(value, EnumValue) else to_int(value)
    try:
        tls.set_protocols(shell, number)
    except ValueError as exc:
        raise PSError(
            ErrorRecord(
                f'Exception setting "SecurityProtocol": "{exc}"',
                "ExceptionWhenSetting",
                "NotSpecified",
                "System.Management.Automation.SetValueInvocationException",
            )
        ) from None


# --- instance properties (§7.1.2) ---------------------------------------------------------------


def properties(value: Any) -> list[Property]:
    """``$value.PSObject.Properties``: what the adapter exposes for the value's type."""
    if isinstance(value, dict):
        return [Property(key, item) for key, item in value.items()]
    if isinstance(value, PSObject):
        return [Property(key, item) for key, item in value.props.items()]
    if isinstance(value, str):
        return [Property("Length", len(value))]
    if isinstance(value, Credential):
        return [Property("UserName", value.username), Property("Password", Secure(value.password))]
    if isinstance(value, Secure):
        return [Property("Length", len(value.value))]
    if isinstance(value, Hashtable):
        return [
            Property("IsReadOnly", False),
            Property("IsFixedSize", False),
            Property("IsSynchronized", False),
            Property("Keys", value.keys()),
            Property("Values", value.values()),
            Property("SyncRoot", value),
            Property("Count", len(value)),
        ]
    if isinstance(value, list):
        return [
            Property("Length", len(value)),
            Property("LongLength", len(value)),
            Property("Rank", 1),
            Property("SyncRoot", value),
            Property("IsReadOnly", False),
            Property("IsFixedSize", True),
            Property("IsSynchronized", False),
            Property("Count", len(value)),
        ]
    if isinstance(value, bool | int | float | Char | EnumValue):
        return []
    if isinstance(value, Version):
        return [Property(name, get_member(value, name, 0)) for name in ("Major", "Minor", "Build", "Revision")]
    raise Unsupported(f"PSObject.Properties of a {type_of(value)}", 0)


def _version_part(value: Version, index: int) -> int:
    parts = [int(part) for part in value.split(".")]
    return parts[index] if index < len(parts) else -1


def _collection_count(value: Any) -> int | None:
    if isinstance(value, list | bytes):
        return len(value)
    if isinstance(value, ArrayList):
        return len(value.items)
    return None


def get_member(value: Any, name: str, line: int) -> Any:
    """``$value.name`` (§7.1.2), with PowerShell's adaptations: hashtable keys, member enumeration on
    arrays, and the Count/Length every scalar answers with 1 (and $null with 0)."""
    lower = name.lower()
    if value is None:
        return 0 if lower in ("count", "length") else None
    if lower == "psobject":
        return PSObjectView(value)
    if isinstance(value, Hashtable):
        if name in value:
            return value.get(name)
        extras = {"count": len(value), "keys": value.keys(), "values": value.values()}
        return extras.get(lower)
    if isinstance(value, dict | PSObject):
        items = value.items() if isinstance(value, dict) else value.props.items()
        for key, item in items:
            if key.lower() == lower:
                return item
        return 1 if lower in ("count", "length") else None
    count = _collection_count(value)
    if count is not None:
        if lower in ("count", "length", "longlength"):
            return count
        items = value.items if isinstance(value, ArrayList) else value
        found: list[Any] = []
        for item in items:
            member = get_member(item, name, line)
            if is_enumerable(member):
                found.extend(member.items if isinstance(member, ArrayList) else member)
            elif member is not None:
                found.append(member)
        if not found:
            return None
        return found[0] if len(found) == 1 else found
    if isinstance(value, str) and not isinstance(value, Version):
        if lower == "length":
            return len(_utf16(str(value)))
        return 1 if lower == "count" else None
    if isinstance(value, Version):
        indexes = {"major": 0, "minor": 1, "build": 2, "revision": 3}
        if lower in indexes:
            return _version_part(value, indexes[lower])
    getter = _GETTERS.get((type(value), lower))
    if getter is not None:
        return getter(value)
    if lower in ("count", "length"):
        return 1
    if isinstance(value, bool | int | float | Char | EnumValue):
        return None
    raise Unsupported(f"the member '{name}' of [{type_of(value)}]", line)


def _elapsed(watch: Stopwatch) -> dt.timedelta:
    return dt.timedelta(seconds=time.monotonic() - watch.started)


def _store_certificates(store: X509StoreValue) -> list[CertificateValue]:
    """X509Store.Certificates: empty until Open (the .NET Framework behaviour); the 'My' store only."""
    if not store.opened or store.name.lower() != "my":
        return []
    return [
        CertificateValue(entry["thumbprint"], entry["has_private_key"], f"{store.location}\\My")
        for entry in tls.store_certificates(store.shell, store.location)
    ]


_GETTERS: dict[tuple[type, str], Callable[[Any], Any]] = {
    (Property, "name"): lambda p: p.name,
    (Property, "value"): lambda p: p.value,
    (PSObjectView, "properties"): lambda view: properties(view.target),
    (PSObjectView, "baseobject"): lambda view: view.target,
    (DictionaryEntry, "key"): lambda entry: entry.key,
    (DictionaryEntry, "value"): lambda entry: entry.value,
    (MatchValue, "value"): lambda match: match.value,
    (MatchValue, "index"): lambda match: match.index,
    (MatchValue, "length"): lambda match: len(match.value),
    (TypeInfo, "fullname"): lambda info: info.full_name,
    (TypeInfo, "name"): lambda info: info.full_name.rsplit(".", 1)[-1],
    (TypeInfo, "isprimitive"): lambda info: info.full_name in PRIMITIVE,
    (ErrorRecordValue, "exception"): lambda error: ExceptionValue(error.record.exception, error.record.message),
    (ErrorRecordValue, "fullyqualifiederrorid"): lambda error: error.record.fqid,
    (ErrorRecordValue, "categoryinfo"): lambda error: CategoryInfo(error.record.category),
    (ErrorRecordValue, "targetobject"): lambda error: error.record.target or None,
    (ExceptionValue, "message"): lambda exc: exc.message,
    (CategoryInfo, "category"): lambda info: info.category,
    (Stopwatch, "elapsed"): _elapsed,
    (dt.timedelta, "totalseconds"): lambda span: span.total_seconds(),
    (dt.timedelta, "totalmilliseconds"): lambda span: span.total_seconds() * 1000,
    (Credential, "username"): lambda cred: cred.username,
    (Credential, "password"): lambda cred: Secure(cred.password, True),
    (Secure, "length"): lambda secure: len(secure.value),
    (X509StoreValue, "certificates"): _store_certificates,
    (X509StoreValue, "name"): lambda store: store.name,
    (X509StoreValue, "location"): lambda store: EnumValue(f"{_X509}.StoreLocation", store.location, 0),
    (CertificateValue, "thumbprint"): lambda cert: cert.thumbprint,
    (CertificateValue, "hasprivatekey"): lambda cert: cert.has_private_key,
}


def set_member(value: Any, name: str, new: Any, line: int) -> None:
    """``$value.name = x`` (§7.11.1): a hashtable gains or changes the key; an object's existing property changes."""
    if isinstance(value, Hashtable):
        value.set(name, new)
        return
    if isinstance(value, dict | PSObject):
        props = value if isinstance(value, dict) else value.props
        for key in props:
            if key.lower() == name.lower():
                props[key] = new
                return
    if value is None or isinstance(value, dict | PSObject):
        raise runtime_error(
            f"The property '{name}' cannot be found on this object. Verify that the property exists and can be set.",
            "PropertyAssignmentException",
        )
    raise Unsupported(f"setting the member '{name}' of [{type_of(value)}]", line)


# --- element access (§7.1.4) --------------------------------------------------------------------


def get_index(value: Any, index: Any, line: int) -> Any:
    if value is None:
        raise runtime_error("Cannot index into a null array.", "NullArray")
    if isinstance(value, Hashtable):
        return value.get(index)  # §7.1.4.3
    if isinstance(value, list | bytes | ArrayList | str):
        if is_enumerable(index):
            raise Unsupported("array slices", line)
        items = value.items if isinstance(value, ArrayList) else value
        position = to_int(index)
        if position < 0:
            position += len(items)
        if not 0 <= position < len(items):
            return None
        item = items[position]
        return Char(item) if isinstance(value, str) else item
    if isinstance(value, bool | int | float):
        raise runtime_error(f"Unable to index into an object of type {type_of(value)}.", "CannotIndex")
    raise Unsupported(f"indexing a [{type_of(value)}]", line)


def set_index(value: Any, index: Any, new: Any, line: int) -> None:
    if isinstance(value, Hashtable):
        value.set(index, new)
        return
    if isinstance(value, list | ArrayList):
        items = value.items if isinstance(value, ArrayList) else value
        position = to_int(index)
        if not -len(items) <= position < len(items):
            raise runtime_error("Index was outside the bounds of the array.", "IndexOutOfRange")
        items[position] = new
        return
    if value is None:
        raise runtime_error("Cannot index into a null array.", "NullArray")
    raise Unsupported(f"assigning into a [{type_of(value)}] by index", line)


# --- instance methods (§7.1.3) ------------------------------------------------------------------


def _no_overload(name: str, count: int) -> PSError:
    return PSError(
        ErrorRecord(
            f'Cannot find an overload for "{name}" and the argument count: "{count}".',
            "MethodCountCouldNotFindBest",
            "NotSpecified",
            METHOD_EXCEPTION,
        )
    )


def _split(text: str, args: list[Any]) -> list[str]:
    """String.Split(char[]) / Split(char[], int): the overloads a '-' plus a count select on .NET Framework."""
    if len(args) not in (1, 2) or (len(args) == 2 and isinstance(args[1], EnumValue)):
        raise Unsupported(f"String.Split with {len(args)} argument(s) of these types", 0)
    separators = set(to_string(args[0])) if args[0] is not None else {" ", "\t", "\n", "\r"}
    count = to_int(args[1]) if len(args) == 2 else -1
    if len(args) == 2 and count < 0:
        raise method_failed(
            "Split", 2, "Count cannot be less than zero.\r\nParameter name: count", "ArgumentOutOfRange"
        )
    if count == 0:
        return []
    parts: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if count != -1 and len(parts) == count - 1:
            break
        if char in separators:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _read_to_end(reader: StreamReader) -> str:
    stream = reader.stream
    if isinstance(stream, GZipStream):
        source = stream.inner
        if stream.mode.name != "Decompress" or not isinstance(source, MemoryStream):
            raise Unsupported("reading a compressing GZipStream", 0)
        try:
            data = gzip.decompress(source.data)
        except (OSError, EOFError, zlib.error):
            raise method_failed(
                "ReadToEnd",
                0,
                "The magic number in GZip header is not correct. Make sure you are passing in a GZip stream.",
                "InvalidDataException",
            ) from None
    elif isinstance(stream, MemoryStream):
        data = stream.data
    else:
        raise Unsupported(f"reading a {type_of(stream)}", 0)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def _append_char(secure: Secure, char: Any) -> None:
    if secure.read_only:
        raise method_failed("AppendChar", 1, "Instance is read-only.", "InvalidOperationException")
    secure.value += to_char(char)


def _make_read_only(secure: Secure) -> None:
    secure.read_only = True


def _iso(value: dt.datetime, args: list[Any]) -> str:
    if len(args) != 1 or to_string(args[0]) != "o":
        raise Unsupported("DateTime.ToString with this format", 0)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0Z"
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0"


def _hashtable_add(table: Hashtable, key: Any, item: Any) -> None:
    if not table.add(key, item):
        raise method_failed(
            "Add",
            2,
            f"Item has already been added. Key in dictionary: '{to_string(key)}'  Key being added: '{to_string(key)}'",
            "ArgumentException",
        )


_VOID = object()  # a method returning void writes nothing to the pipeline


def call_method(value: Any, name: str, args: list[Any], line: int) -> Any:
    """``$value.Name(args)``; returns ``VOID`` for void methods."""
    lower = name.lower()
    if value is None:
        raise runtime_error("You cannot call a method on a null-valued expression.", "InvokeMethodOnNull")
    count = len(args)
    if lower == "gettype" and count == 0:
        return TypeInfo(value.type_name if isinstance(value, ExceptionValue) else type_of(value))
    if isinstance(value, str) and not isinstance(value, Char | Version):
        text = str(value)
        if lower == "split":
            return _split(text, args)
        if lower == "trim":
            if count == 0:
                return text.strip(" \t\r\n\v\f\u00a0\u2028\u2029\ufeff")
            return text.strip(to_string(args[0])) if count == 1 else _raise(_no_overload("Trim", count))
        if lower == "tochararray" and count == 0:
            return [Char(char) for char in _utf16(text)]
        if lower in ("tolower", "toupper", "tolowerinvariant", "toupperinvariant") and count == 0:
            return text.lower() if "lower" in lower else text.upper()
        if lower == "tostring" and count == 0:
            return text
    elif isinstance(value, Hashtable):
        if lower == "remove" and count == 1:
            value.remove(args[0])
            return _VOID
        if lower == "getenumerator" and count == 0:
            return [DictionaryEntry(key, item) for key, item in value.items()]
        if lower in ("containskey", "contains") and count == 1:
            return args[0] in value
        if lower == "add" and count == 2:
            _hashtable_add(value, args[0], args[1])
            return _VOID
    elif isinstance(value, ArrayList):
        if lower == "add" and count == 1:
            value.items.append(args[0])
            return len(value.items) - 1
        if lower == "toarray" and count == 0:
            return list(value.items)
    elif isinstance(value, Secure):
        if lower == "appendchar" and count == 1:
            _append_char(value, args[0])
            return _VOID
        if lower == "makereadonly" and count == 0:
            _make_read_only(value)
            return _VOID
    elif isinstance(value, Utf8Encoding):
        # UTF8Encoding.GetString(bytes[, index, count]): invalid bytes become U+FFFD (the default fallback).
        if lower == "getstring" and count in (1, 3) and isinstance(args[0], bytes):
            start, length = (0, len(args[0])) if count == 1 else (to_int(args[1]), to_int(args[2]))
            if start < 0 or length < 0 or start + length > len(args[0]):
                raise method_failed(
                    "GetString",
                    3,
                    "Index and count must refer to a location within the buffer.",
                    "ArgumentOutOfRangeException",
                )
            return args[0][start : start + length].decode("utf-8", "replace")
    elif isinstance(value, StreamReader):
        if lower == "readtoend" and count == 0:
            return _read_to_end(value)
    elif isinstance(value, X509StoreValue):
        if lower == "open" and count == 1:
            convert_to(args[0], f"{_X509}.OpenFlags")
            value.opened = True
            return _VOID
        if lower == "close" and count == 0:
            value.opened = False
            return _VOID
    elif isinstance(value, dt.datetime):
        if lower == "touniversaltime" and count == 0:
            return value.astimezone(dt.UTC) if value.tzinfo else value
        if lower == "tostring" and count == 1:
            return _iso(value, args)
    if lower == "tostring" and count == 0:
        return to_string(value)
    raise Unsupported(f"the method {type_of(value)}.{name} with {count} argument(s)", line)


def _raise(error: Exception) -> Any:
    raise error


VOID = _VOID
