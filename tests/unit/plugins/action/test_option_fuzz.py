"""Fuzz the options of all four lync.hybrid action plugins against an in-process lab host.

Each example builds one task's options from independent choices (a kind of value per
option, a logon mode, check mode) and records, beside the options, the documented rules
they break. Every test runs once per *target*. With no target the example is "clean":
every option takes a kind that breaks no rule (normal, huge, non-ASCII, quoted, a number
where text is expected, null where an option is optional), so the valid-but-unusual path
that reaches the host is exercised as much as the refusals. With a target (one option, or
one cross-option rule) exactly that is broken and everything else stays clean, so no rule
can hide behind another, and every rule is tried whatever the random draw.
The property, for any example:

* ``run()`` returns a JSON-serialisable dict and never raises;
* a failed result has a non-empty ``msg`` showing no Python traceback or exception name;
* a password given to the task never appears in the result;
* options that break a rule fail, and nothing reaches the host (the harness connection saw
  no command);
* clean options are accepted: the task reaches the host (the lab answers as Windows would,
  so it may still fail there, with a ``reason``), and what the options say arrives in the
  request on stdin as given: the logon, the connectors tried, the federation values, the
  connector module and its source, the subsets read (as ``ansible.builtin.setup`` documents
  ``gather_subset``).

The rules are written here from the modules' documentation, not read from the plugins:

* a value outside an option's ``choices`` (other case or spacing, another type, null);
* a value the option's type cannot take: a list or mapping for a string option, text that
  is not a boolean for a bool option, anything but a whole number for an int option;
* a blank string where text is required, a negative ``retries``/``delay``;
* an option the module does not have;
* logon: username with certificate_thumbprint, one of username/password without the
  other, an incomplete certificate trio, no logon at all (null counts as not given),
  certificate authentication with a legacy connector, override_admin_domain with
  connector=microsoft_teams;
* cs_online_connector: a version that is not two to four ASCII numbers, MicrosoftTeams
  below 4.0, version together with minimum_version (Ansible counts a null as given),
  minimum_version with state=absent, source_type without source, an MSI for MicrosoftTeams,
  a repository for a legacy connector (for the sources whose kind is known);
* cs_deployment_facts: an empty gather_subset, a name that is not a subset, a mapping;
* cs_tenant_federation: none of the two settings given, or all given ones null (the removed
  allow_public_users is refused in every case; its own unit test covers it).

Runs are deterministic (``derandomize``, no example database) and bounded (30 examples per
target) so CI stays fast and stable.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import math
import re
import typing as t

import pytest
from ansible.module_utils.parsing.convert_bool import BOOLEANS, boolean
from ansible_collections.lync.hybrid.plugins.plugin_utils import _connector, _deployment, _online
from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import decode_payload
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.unit.plugins.action import lab_support
from tests.unit.plugins.action.lab_support import ADMIN, APPLICATION, FABRIKAM, PASSWORD, THUMBPRINT

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Python's own failure texts: a message showing one leaked an exception instead of explaining it.
PYTHON_EXCEPTION = re.compile(
    r"Traceback|\b(?:KeyError|TypeError|ValueError|AttributeError|IndexError|NameError|AssertionError|"
    r"UnboundLocalError|ZeroDivisionError|RecursionError|NotImplementedError)\b"
)
BOOLEAN_WORDS = {str(value).lower() for value in BOOLEANS}
SECRET_PREFIX = "Secret-"
CONNECTORS = ("auto", *_online.CONNECTORS)
LEGACY_CONNECTORS = ("skype_online_connector", "lync_online_connector")
FEDERATION_SETTINGS = ("shared_sip_address_space", "allow_federated_users")
ABSENT = object()  # the option is left out of the task


@dataclasses.dataclass
class Case:
    """One task's options, the lab state to run them against, and the rules they break.

    ``target`` is the one option or rule a non-clean case breaks (None: a clean case).
    """

    state: str
    target: str | None
    check_mode: bool
    args: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    broken: list[str] = dataclasses.field(default_factory=list)

    def breaks(self, slot: str) -> bool:
        return self.target == slot

    def set(self, name: str, value: t.Any, broken: str | None = None) -> t.Any:
        self.args[name] = value
        if broken:
            self.broken.append(f"{name}: {broken}")
        return value

    def reject(self, rule: str) -> None:
        self.broken.append(rule)


def new_case(state: str, target: str | None) -> st.SearchStrategy[Case]:
    return st.builds(Case, st.just(state), st.just(target), st.booleans())


def pick(draw: st.DrawFn, case: Case, slot: str, valid: list[str], invalid: list[str]) -> str:
    """The kind of value for one option: a breaking kind if it is the case's target, else a clean one."""
    return draw(st.sampled_from(invalid if case.breaks(slot) else valid))


# --- values ------------------------------------------------------------------------------------

BLANK = st.sampled_from(["", " ", "   ", "\t", "\r\n", " \u00a0 ", "\u2003"])
CONTAINER = st.one_of(
    st.lists(st.text(max_size=8), max_size=3),
    st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=4)), max_size=2),
)
HUGE = st.builds(lambda char, size: char * size, st.sampled_from("aZ9é中😀'\"$`;&\\"), st.integers(5_000, 120_000))
SPECIAL = st.sampled_from(
    [
        "O'Brien",
        'say "hi"',
        "$env:COMPUTERNAME",
        "`whoami`",
        "a;b&c|d",
        "$(Remove-Item C:\\ -Recurse)",
        "é中😀",
        "\u202ertl",
        "line\nbreak",
        "{{ not_templated }}",
        "%PATH%",
        "\x00nul",
    ]
)
# Non-blank text a module may accept and the host may refuse: valid but unusual.
UNUSUAL_TEXT = st.one_of(HUGE, SPECIAL, st.text(min_size=1, max_size=40).filter(str.strip))
# Scalars Ansible's str type converts ('5', '1.5', 'True'): unusual, not a type error.
SCALAR = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans())


def not_in(choices: t.Collection[str]) -> st.SearchStrategy[t.Any]:
    """Anything that is not exactly one of ``choices`` once Ansible has made it a string."""
    variants = [variant for choice in choices for variant in (choice.upper(), f" {choice}", f"{choice} ", "")]
    return st.one_of(
        st.text(max_size=30).filter(lambda text: text not in choices),
        st.sampled_from([variant for variant in variants if variant not in choices]),
        CONTAINER,
        SCALAR,
        st.none(),
    )


@st.composite
def choice_option(draw: st.DrawFn, case: Case, name: str, choices: t.Sequence[str], allowed: t.Sequence[str]) -> t.Any:
    """Left out, one of ``allowed`` (clean cases) or ``choices``, or not a choice; returns the choice or ABSENT."""
    kind = pick(draw, case, name, ["absent", "valid", "valid"], ["not_a_choice"])
    if kind == "absent":
        return ABSENT
    if kind == "not_a_choice":
        case.set(name, draw(not_in(choices)), "not one of the choices")
        return "not_a_choice"
    return case.set(name, draw(st.sampled_from(list(allowed))))


@st.composite
def text_option(draw: st.DrawFn, case: Case, name: str, normal: st.SearchStrategy[t.Any], *, required: bool) -> t.Any:
    """A string option; a required one (part of the logon) may not be left out or null in a clean case."""
    optional = [] if required else ["absent", "null"]
    missing = ["absent", "null"] if required else []
    kind = pick(
        draw, case, name, [*optional, "normal", "normal", "unusual", "scalar"], [*missing, "blank", "container"]
    )
    if kind == "absent":
        value: t.Any = ABSENT
    else:
        strategy = {
            "normal": normal,
            "unusual": UNUSUAL_TEXT,
            "scalar": SCALAR,
            "null": st.none(),
            "blank": BLANK,
            "container": CONTAINER,
        }[kind]
        broken = {"blank": "blank", "container": "a list or mapping for a string option"}.get(kind)
        value = case.set(name, draw(strategy), broken)
    if required and kind in missing:
        case.reject(f"{name} not given (or null) but its logon needs it")
    return value


@st.composite
def int_option(draw: st.DrawFn, case: Case, name: str) -> None:
    """retries/delay: small valid values (a retry really waits), or what an int option cannot take."""
    kind = pick(draw, case, name, ["absent", "valid", "valid"], ["negative", "not_a_number", "fraction", "container"])
    if kind == "valid":
        case.set(name, draw(st.one_of(st.integers(0, 1), st.sampled_from(["0", " 1 ", 1.0, False, True]))))
    elif kind == "negative":
        case.set(name, draw(st.one_of(st.integers(max_value=-1), st.sampled_from(["-1", -1.0]))), "negative")
    elif kind == "not_a_number":
        named = st.sampled_from(["inf", "-Infinity", "NaN", "sNaN", "three", "1.5", "0x10", "1e-3", ""])
        text = st.text(max_size=20).filter(lambda value: not _whole_number(value))
        case.set(name, draw(st.one_of(named, text, st.none())), "not a whole number")
    elif kind == "fraction":
        fraction = st.one_of(st.sampled_from([0.5, -1.5, math.nan, math.inf, -math.inf, 1e-9]), st.floats(0.01, 0.99))
        case.set(name, draw(fraction), "not a whole number")
    elif kind == "container":
        case.set(name, draw(CONTAINER), "not a whole number")


def _whole_number(text: str) -> bool:
    """Ansible's int conversion: a decimal number without a fraction (' 3 ', '2.0' and '1e3' are ints)."""
    try:
        number = decimal.Decimal(text)
        return number == int(number)
    except (decimal.DecimalException, ValueError, OverflowError):
        return False


@st.composite
def bool_option(draw: st.DrawFn, case: Case, name: str) -> t.Any:
    """Left out, a boolean Ansible accepts, null, or not a boolean; returns the value or ABSENT."""
    kind = pick(draw, case, name, ["absent", "valid", "valid", "null"], ["not_a_boolean"])
    if kind == "absent":
        return ABSENT
    if kind == "valid":
        return case.set(name, draw(st.sampled_from([True, False, "yes", "no", "True", " off ", "1", 0, 1, 1.0, "Y"])))
    if kind == "null":
        return case.set(name, None)
    not_boolean = st.one_of(
        st.text(max_size=12).filter(lambda text: text.strip().lower() not in BOOLEAN_WORDS),
        st.integers().filter(lambda number: number not in (0, 1)),
        st.floats(allow_nan=False).filter(lambda number: number not in (0.0, 1.0)),
        CONTAINER,
    )
    case.set(name, draw(not_boolean), "not a boolean")
    return "not_a_boolean"


@st.composite
def unknown_option(draw: st.DrawFn, case: Case, spec: t.Collection[str]) -> None:
    if case.breaks("unknown_option"):
        name = draw(st.from_regex(r"\A[a-z][a-z0-9_]{0,15}\Z").filter(lambda key: key not in spec))
        case.set(name, draw(st.one_of(st.text(max_size=8), SCALAR)), "the module has no such option")


# --- cs_deployment_facts -----------------------------------------------------------------------

SUBSET_NAMES = ["all", *_deployment.SUBSETS]
SUBSET = st.builds(
    lambda bang, name, pad: f"{pad}{bang}{name}{pad}",
    st.sampled_from(["", "!"]),
    st.sampled_from(SUBSET_NAMES),
    st.sampled_from(["", " "]),
)
# Junk that no spacing and no '!' turn into a subset name (null and scalars become text first).
NOT_A_SUBSET = st.one_of(st.text(max_size=12), SCALAR, st.none(), CONTAINER).filter(
    lambda token: re.sub(r"[\s!]", "", str(token)) not in SUBSET_NAMES
)


@st.composite
def deployment_facts_cases(draw: st.DrawFn, target: str | None) -> Case:
    case = draw(new_case("sfb2019-teams", target))
    kind = pick(
        draw, case, "gather_subset", ["absent", "list", "list", "comma"], ["junk", "empty", "mapping", "number"]
    )
    if kind == "list":
        case.set("gather_subset", draw(st.lists(SUBSET, min_size=1, max_size=4)))
    elif kind == "comma":
        case.set("gather_subset", ",".join(draw(st.lists(st.sampled_from(SUBSET_NAMES), min_size=1, max_size=3))))
    elif kind == "junk":
        tokens = [*draw(st.lists(SUBSET, max_size=3)), draw(NOT_A_SUBSET)]
        case.set("gather_subset", draw(st.permutations(tokens)), "not a subset name")
    elif kind == "empty":
        case.set("gather_subset", draw(st.sampled_from([[], ""])), "empty")
    elif kind == "mapping":
        case.set("gather_subset", draw(st.dictionaries(st.sampled_from(SUBSET_NAMES), st.booleans())), "a mapping")
    elif kind == "number":
        case.set("gather_subset", draw(st.integers()), "a number is not a subset name")
    draw(unknown_option(case, ["gather_subset"]))
    return case


# --- cs_online_connector -----------------------------------------------------------------------

KNOWN_SOURCES = {
    "PSGallery": "repository",
    "InternalGallery": "repository",
    "C:\\Offline": "folder",
    "\\\\server\\share\\modules": "folder",
    "C:\\Installers\\SkypeOnlinePowerShell.msi": "msi",
    "D:\\setup\\LYNC.MSI": "msi",
}


def as_text(value: t.Any) -> str:
    """What a str option holds once Ansible has converted a scalar ('5', '1.5', 'True')."""
    return value if isinstance(value, str) else str(value)


def documented_kind(source: t.Any) -> str:
    """source_type=auto as documented: .msi at the end: an MSI; a backslash, / or drive letter: a folder; else a
    repository name."""
    text = as_text(source).strip()
    if text.lower().endswith(".msi"):
        return "msi"
    if "\\" in text or "/" in text or re.match(r"[A-Za-z]:", text):
        return "folder"
    return "repository"


ASCII_VERSION = re.compile(r"[0-9]+(\.[0-9]+){1,3}")
VERSION = st.builds(
    lambda text, pad: f"{pad}{text}{pad}",
    st.from_regex(r"\A[0-9]{1,2}(\.[0-9]{1,3}){1,3}\Z"),
    st.sampled_from(["", " "]),
)
NOT_A_VERSION = st.one_of(
    st.sampled_from(
        ["latest", "6.1.0-preview2", "6", "6.1.0.0.1", "v6.1", "6..1", "\u0666.\u0661.\u0660", "\uff16.\uff11.\uff10"]
    ),
    st.text(min_size=1, max_size=15).filter(
        lambda text: bool(text.strip()) and not ASCII_VERSION.fullmatch(text.strip())
    ),
)


@st.composite
def version_option(draw: st.DrawFn, case: Case, name: str, teams: bool, *, given: bool = False) -> t.Any:
    """A version option; ``given``: never left out (a cross-option rule needs it)."""
    valid = ["version"] if given else ["absent", "absent", "version", "version", "null"]
    # Any version number is fine for a legacy connector; MicrosoftTeams needs 4.0 or later.
    breaking = ["blank", "not_a_version", "container", *(["teams_below_four"] if teams else [])]
    kind = pick(draw, case, name, valid, breaking)
    if kind == "teams_below_four":
        return case.set(name, draw(st.from_regex(r"\A[0-3](\.[0-9]{1,3}){1,3}\Z")), "MicrosoftTeams below 4.0.0")
    if kind == "absent":
        return ABSENT
    if kind == "null":
        return case.set(name, None)
    if kind == "version":
        value = draw(VERSION if not teams else VERSION.filter(lambda text: int(text.strip().split(".")[0]) >= 4))
        return case.set(name, value)
    broken = {"blank": "blank", "not_a_version": "not two to four ASCII numbers"}.get(kind, "a list or mapping")
    case.set(name, draw({"blank": BLANK, "not_a_version": NOT_A_VERSION, "container": CONTAINER}[kind]), broken)
    return "broken"


@st.composite
def online_connector_cases(draw: st.DrawFn, target: str | None) -> Case:
    case = draw(new_case("sfb2019-teams", target))
    name = draw(choice_option(case, "name", tuple(_online.CONNECTORS), tuple(_online.CONNECTORS)))
    # Left out: the default, microsoft_teams.
    teams, legacy = name in (ABSENT, "microsoft_teams"), name in LEGACY_CONNECTORS
    states = ["absent"] if case.breaks("minimum_with_absent") else ["present", "absent"]
    state = draw(choice_option(case, "state", ["present", "absent"], states))
    if case.breaks("minimum_with_absent") and state is ABSENT:
        state = case.set("state", "absent")
    types = list(_connector.SOURCE_TYPES) if case.breaks("type_without_source") else ["auto"]
    source_type = draw(choice_option(case, "source_type", ["auto", *_connector.SOURCE_TYPES], types))
    if case.breaks("type_without_source") and source_type is ABSENT:
        source_type = case.set("source_type", draw(st.sampled_from(_connector.SOURCE_TYPES)))
    pair = case.breaks("version_and_minimum")
    alone = case.breaks("minimum_version") or case.breaks("minimum_with_absent")
    version = ABSENT if alone else draw(version_option(case, "version", teams, given=pair))
    minimum: t.Any = ABSENT
    if pair or alone or (version is ABSENT and state != "absent"):
        minimum = draw(version_option(case, "minimum_version", teams, given=pair or case.breaks("minimum_with_absent")))
    if case.breaks("type_without_source"):
        source = ABSENT if draw(st.booleans()) else case.set("source", None)
    elif case.breaks("source_of_wrong_kind"):
        wrong = [path for path, kind in KNOWN_SOURCES.items() if kind == ("repository" if legacy else "msi")]
        source = case.set("source", draw(st.sampled_from(wrong)))
    else:
        fitting = [path for path, kind in KNOWN_SOURCES.items() if kind != ("repository" if legacy else "msi")]
        source = draw(text_option(case, "source", st.sampled_from(fitting), required=False))
    draw(unknown_option(case, _connector.ARGUMENT_SPEC))

    if version is not ABSENT and minimum is not ABSENT:
        case.reject("version and minimum_version are mutually exclusive (a null counts as given)")
    if state == "absent" and minimum not in (ABSENT, None):
        case.reject("minimum_version with state=absent")
    if source_type in _connector.SOURCE_TYPES and source in (ABSENT, None):
        case.reject("source_type without source")
    if source not in (ABSENT, None) and as_text(source).strip():
        kind = source_type if source_type in _connector.SOURCE_TYPES else documented_kind(source)
        if kind == "msi" and teams:
            case.reject("MicrosoftTeams is not distributed as an MSI")
        if kind == "repository" and legacy:
            case.reject("the legacy connectors were never in a repository")
    return case


# --- the tenant modules ------------------------------------------------------------------------

SECRET = st.one_of(st.just(PASSWORD), st.text(min_size=4, max_size=30).map(lambda text: SECRET_PREFIX + text))
CONFLICTS = {
    "username_and_certificate": ["username", "password", "certificate_thumbprint", "application_id", "tenant_id"],
    "password_and_certificate": ["password", "certificate_thumbprint", "application_id", "tenant_id"],
    "username_only": ["username"],
    "password_only": ["password"],
    "thumbprint_only": ["certificate_thumbprint"],
    "thumbprint_and_tenant": ["certificate_thumbprint", "tenant_id"],
    "application_only": ["application_id"],
    "nothing": [],
}


@st.composite
def logon(draw: st.DrawFn, case: Case) -> str:
    """The logon options; returns the mode: credentials, credentials_with_domain, certificate or a conflict."""
    if case.breaks("logon"):
        mode = draw(st.sampled_from(list(CONFLICTS)))
    elif case.target in ("username", "password", "override_admin_domain"):
        mode = "credentials"
    elif case.target in ("certificate_thumbprint", "application_id", "tenant_id"):
        mode = "certificate"
    else:
        mode = draw(st.sampled_from(["credentials", "certificate"]))
    if mode == "credentials":
        case.state = "lync2013-ready"
        draw(text_option(case, "username", st.one_of(st.just(ADMIN), st.emails()), required=True))
        draw(text_option(case, "password", SECRET, required=True))
        domain = draw(text_option(case, "override_admin_domain", st.just("contoso.onmicrosoft.com"), required=False))
        return "credentials" if domain in (ABSENT, None) else "credentials_with_domain"
    if mode == "certificate":
        for name, normal in (
            ("certificate_thumbprint", THUMBPRINT),
            ("application_id", APPLICATION),
            ("tenant_id", FABRIKAM),
        ):
            value = draw(text_option(case, name, st.just(normal), required=True))
            # A thumbprint is 40 hex digits once spaces and marks copied with it are dropped (_online.thumbprint).
            thumbprint = name == "certificate_thumbprint" and isinstance(value, str | int | float)
            if thumbprint and not case.broken and not re.fullmatch("[0-9A-F]{40}", _online.thumbprint(as_text(value))):
                case.reject("certificate_thumbprint: not a 40-hex-digit thumbprint")
        return mode
    # A conflict breaks a rule whatever the values are (Ansible counts a null option as given).
    for name in CONFLICTS[mode]:
        case.set(name, draw(st.one_of(st.sampled_from([ADMIN, PASSWORD, THUMBPRINT]), UNUSUAL_TEXT, st.none())))
    case.reject(f"conflicting logon: {mode}")
    return mode


@st.composite
def tenant_cases(draw: st.DrawFn, target: str | None, federation: t.Sequence[str] = ()) -> Case:
    case = draw(new_case("sfb2019-teams", target))
    mode = draw(logon(case))
    fitting = {
        "certificate": ["auto", "microsoft_teams"],
        "credentials_with_domain": list(LEGACY_CONNECTORS),
    }.get(mode, list(CONNECTORS))
    if case.breaks("connector_for_logon"):
        # Certificate logon with a legacy connector, or a legacy-only option with MicrosoftTeams.
        wrong = {"certificate": list(LEGACY_CONNECTORS), "credentials_with_domain": ["auto", "microsoft_teams"]}.get(
            mode
        )
        if wrong is None and mode == "credentials":
            mode = "credentials_with_domain"
            case.set("override_admin_domain", "contoso.onmicrosoft.com")
            wrong = ["auto", "microsoft_teams"]
        connector = case.set("connector", draw(st.sampled_from(wrong or list(CONNECTORS))))
    else:
        connector = draw(choice_option(case, "connector", CONNECTORS, fitting))
    if mode == "certificate" and connector in LEGACY_CONNECTORS:
        case.reject("certificate authentication with a legacy connector")
    if mode == "credentials_with_domain" and connector in (ABSENT, None, "auto", "microsoft_teams"):
        case.reject(f"override_admin_domain with connector={connector} (MicrosoftTeams)")
    draw(int_option(case, "retries"))
    draw(int_option(case, "delay"))
    if case.breaks("no_setting"):
        values: list[t.Any] = []
    elif case.breaks("null_settings"):
        names = draw(st.lists(st.sampled_from(list(federation)), min_size=1, max_size=3, unique=True))
        values = [case.set(name, None) for name in names]
    else:
        values = [draw(bool_option(case, name)) for name in federation]
        if federation and all(value in (ABSENT, None) for value in values):
            values.append(case.set(draw(st.sampled_from(list(federation))), draw(st.booleans())))
    given_values = [value for value in values if value is not ABSENT]
    if federation and not given_values:
        case.reject("none of the federation settings is given")
    elif federation and all(value is None for value in given_values):
        case.reject("every federation setting given is null")
    draw(unknown_option(case, [*_online.ARGUMENT_SPEC, *federation]))
    return case


# --- the property ------------------------------------------------------------------------------

LABS = {
    module: type(f"Lab_{module}", (lab_support.Lab,), {"module": module})
    for module in ("cs_deployment_facts", "cs_online_connector", "cs_online_session", "cs_tenant_federation")
}


def run_case(module: str, case: Case) -> None:
    lab = LABS[module](case.state)
    result, connection = lab.run(case.args, check_mode=case.check_mode, diff=True)
    explain = f"{module} {case.args!r:.600} broken={case.broken} -> {result!r:.600}"

    assert isinstance(result, dict), explain
    text = json.dumps(result, ensure_ascii=False)
    if result.get("failed"):
        message = result.get("msg")
        assert isinstance(message, str) and message.strip(), explain
        assert not PYTHON_EXCEPTION.search(message), explain
    password = case.args.get("password")
    if isinstance(password, str) and (password == PASSWORD or password.startswith(SECRET_PREFIX)):
        assert password not in text, explain
    if case.broken:
        assert result.get("failed") is True, explain
        assert connection.commands == [], explain
    else:
        assert_accepted(module, case, result, connection, explain)
    if case.target is not None:
        assert case.broken, f"{explain}: the target {case.target} was not broken"
    event(f"{case.target or 'clean'}{' (rule broken)' if case.broken else ''}: {len(connection.commands)} command(s)")


# --- clean options are accepted and arrive as given ----------------------------------------------

MODULE_OF = {
    "microsoft_teams": "MicrosoftTeams",
    **{name: _online.CONNECTORS[name].module for name in LEGACY_CONNECTORS},
}


def value_of(case: Case, name: str) -> t.Any:
    """The option's value, None when it was left out or null."""
    return case.args.get(name)


def assert_accepted(module: str, case: Case, result: dict[str, t.Any], connection: t.Any, explain: str) -> None:
    """Options that break no rule are not refused: the task reaches the host with them as given."""
    assert connection.commands, f"{explain}: clean options were refused before reaching the host"
    assert not str(result.get("msg", "")).startswith("Invalid options"), explain
    if result.get("failed"):
        assert result.get("reason"), f"{explain}: a failure on the host carries its reason"
    requests = [decode_payload(stdin)["request"] for _command, _arguments, stdin in connection.commands]
    {
        "cs_deployment_facts": _deployment_facts_sent,
        "cs_online_connector": _online_connector_sent,
        "cs_online_session": _tenant_sent,
        "cs_tenant_federation": _tenant_sent,
    }[module](case, requests, explain)


def _expected_subsets(requested: t.Any) -> set[str]:
    """gather_subset as ansible.builtin.setup documents it: 'all', names, '!name' exclusions (an explicit
    name wins over an exclusion), only exclusions: everything else."""
    tokens = requested.split(",") if isinstance(requested, str) else list(requested)
    every = set(_deployment.SUBSETS)
    added, explicit, excluded = set(), set(), set()
    for token in (str(token).strip() for token in tokens):
        name = token[1:].strip() if token.startswith("!") else token
        names = every if name == "all" else {name}
        if token.startswith("!"):
            excluded |= names
        else:
            added |= names
            explicit |= set() if name == "all" else names
    return {name for name in (added or every) if name in explicit or name not in excluded}


def _deployment_facts_sent(case: Case, requests: list[dict[str, t.Any]], explain: str) -> None:
    (request,) = requests
    requested = case.args.get("gather_subset", ["all"])
    subset_of = {read.id: read.subset for read in _deployment.READS}
    read = {subset_of[step["id"]] for step in request["steps"]} - {None}
    assert read == _expected_subsets(requested), explain
    assert request["online"] is None, explain


def _online_connector_sent(case: Case, requests: list[dict[str, t.Any]], explain: str) -> None:
    module = MODULE_OF[value_of(case, "name") or "microsoft_teams"]
    detection = requests[0]["steps"]
    assert detection[0]["cmdlet"] == "Get-Module", explain
    assert detection[0]["params"] == {"ListAvailable": True, "Name": module}, explain
    state = value_of(case, "state") or "present"
    source = value_of(case, "source")
    kind = value_of(case, "source_type") if value_of(case, "source_type") not in (None, "auto") else None
    kind = kind or (documented_kind(source) if source is not None else None)
    probes = {step["cmdlet"]: step["params"] for step in detection[1:]}
    if state == "absent":
        assert probes["Get-InstalledModule"] == {"Name": module, "AllVersions": True}, explain
    elif kind == "repository":
        assert probes["Get-PSRepository"] == {"Name": as_text(source).strip()}, explain
    elif kind in ("msi", "folder"):
        assert probes["Test-Path"]["LiteralPath"] == as_text(source).strip(), explain
    installs = [step for request in requests[1:] for step in request["steps"] if step["cmdlet"] == "Install-Module"]
    for install in installs:
        assert install["params"]["Name"] == module and install["params"]["Repository"] == as_text(source).strip()
        for option, param in (("version", "RequiredVersion"), ("minimum_version", "MinimumVersion")):
            if value_of(case, option) is not None:
                assert install["params"][param] == as_text(value_of(case, option)).strip(), explain


def _tenant_sent(case: Case, requests: list[dict[str, t.Any]], explain: str) -> None:
    connector = value_of(case, "connector") or "auto"
    certificate = value_of(case, "certificate_thumbprint") is not None
    # connector=auto means MicrosoftTeams only: a retired connector runs only when named.
    modules = [MODULE_OF[connector]] if connector != "auto" else ["MicrosoftTeams"]
    for request in requests:
        online = request["online"]
        assert [candidate["module"] for candidate in online] == modules, explain
        for candidate in online:
            params = candidate["connect"]["params"]
            if certificate:
                # The thumbprint goes to the runner, which finds the certificate and adds the parameter.
                assert candidate["certificate"] == _online.thumbprint(as_text(value_of(case, "certificate_thumbprint")))
                expected = {
                    "ApplicationId": as_text(value_of(case, "application_id")),
                    "TenantId": as_text(value_of(case, "tenant_id")),
                }
            else:
                logon = {
                    "username": as_text(value_of(case, "username")),
                    "password": as_text(value_of(case, "password")),
                }
                expected = {"Credential": {"$credential": logon}}
                domain = value_of(case, "override_admin_domain")
                if domain is not None and candidate["module"] != "MicrosoftTeams":
                    expected["OverrideAdminDomain"] = as_text(domain)
            assert params == expected, explain
        desired = {
            _FEDERATION_PROPERTY[name]: boolean(value)
            for name, value in case.args.items()
            if name in _FEDERATION_PROPERTY and value is not None
        }
        sets = [step for step in request["steps"] if step["cmdlet"] == "Set-CsTenantFederationConfiguration"]
        if desired and not case.check_mode:
            (step,) = sets
            assert step["when_differs"]["values"] == desired, explain
        else:
            assert sets == [], explain


_FEDERATION_PROPERTY = {
    "shared_sip_address_space": "SharedSipAddressSpace",
    "allow_federated_users": "AllowFederatedUsers",
}


# What each module's examples may break: None (clean), one option, or one cross-option rule.
LOGON_FIELDS = [
    "username",
    "password",
    "override_admin_domain",
    "certificate_thumbprint",
    "application_id",
    "tenant_id",
]
TENANT_TARGETS = [
    None,
    "logon",
    *LOGON_FIELDS,
    "connector",
    "connector_for_logon",
    "retries",
    "delay",
    "unknown_option",
]
TARGETS = {
    "cs_deployment_facts": [None, "gather_subset", "unknown_option"],
    "cs_online_connector": [
        *[None, "name", "state", "source_type", "version", "minimum_version", "source", "unknown_option"],
        *["version_and_minimum", "minimum_with_absent", "type_without_source", "source_of_wrong_kind"],
    ],
    "cs_online_session": TENANT_TARGETS,
    "cs_tenant_federation": [*TENANT_TARGETS, *FEDERATION_SETTINGS, "no_setting", "null_settings"],
}


@pytest.mark.parametrize("target", TARGETS["cs_deployment_facts"])
@FUZZ
@given(data=st.data())
def test_cs_deployment_facts_options(target: str | None, data: st.DataObject) -> None:
    run_case("cs_deployment_facts", data.draw(deployment_facts_cases(target)))


@pytest.mark.parametrize("target", TARGETS["cs_online_connector"])
@FUZZ
@given(data=st.data())
def test_cs_online_connector_options(target: str | None, data: st.DataObject) -> None:
    run_case("cs_online_connector", data.draw(online_connector_cases(target)))


@pytest.mark.parametrize("target", TARGETS["cs_online_session"])
@FUZZ
@given(data=st.data())
def test_cs_online_session_options(target: str | None, data: st.DataObject) -> None:
    run_case("cs_online_session", data.draw(tenant_cases(target)))


@pytest.mark.parametrize("target", TARGETS["cs_tenant_federation"])
@FUZZ
@given(data=st.data())
def test_cs_tenant_federation_options(target: str | None, data: st.DataObject) -> None:
    run_case("cs_tenant_federation", data.draw(tenant_cases(target, FEDERATION_SETTINGS)))
