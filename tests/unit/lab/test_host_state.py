"""State files: every shipped state loads and round-trips; mistakes are named with their key path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.lab.journal import MASK
from tests.lab.state import StateError, dump_state, load_state, parse_state
from tests.unit.lab.host_support import LAB_PASSWORD, STATES, TENANT_PASSWORD, Lab, make_state

SHIPPED = sorted(STATES.glob("*.yml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_states_load_and_round_trip(path: Path) -> None:
    state = load_state(path)
    again = parse_state(yaml.safe_load(dump_state(state)), "dumped")
    assert again.to_dict() == state.to_dict()
    assert state.accounts


def test_expected_states_are_shipped() -> None:
    names = {path.stem for path in SHIPPED}
    assert {"lync2013-ready", "sfb2019-teams", "broken", "connector-sources"} <= names


def test_defaults_are_derived_from_the_deployment() -> None:
    state = make_state(deployment="sfb2019")
    module = next(m for m in state.host["modules"] if m["name"] == "SkypeForBusiness")
    assert module["version"] == "7.0.0.0" and "Skype for Business Server 2019" in module["path"]
    services = state.deployment["windows_services"]["lab-fe01.contoso.local"]
    assert {"RTCSRV", "FabricHostSvc", "REPLICA"} <= {s["name"] for s in services}
    assert state.tenant["identity"].endswith("DC=lync0e001,DC=local")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"host": {"nmae": "x"}}, "state.host: unknown key(s) nmae"),
        ({"host": {"accounts": []}}, "state.host.accounts: must list at least one entry"),
        ({"deployment": {"product": "sfb2019", "build": "6.0.9319.619"}}, "sfb2019 builds start with 7."),
        ({"deployment": {"product": "lync2010", "build": "4.0.7577.0"}}, "state.deployment.product: must be one of"),
        ({"tenant": {"tenant_id": "contoso"}}, "state.tenant.tenant_id: expected a GUID"),
        ({"tenant": {"federation": {"shared_sip_address_space": "yes"}}}, "shared_sip_address_space: expected true"),
        ({"host": {"modules": [{"name": "MicrosoftTeams", "version": 6.1}]}}, "(quote it in YAML)"),
        ({"faults": {"online_busy_conects": 1}}, "state.faults: unknown key(s) online_busy_conects"),
    ],
)
def test_bad_states_name_the_key(tmp_path: Path, change: dict, message: str) -> None:
    data = yaml.safe_load((STATES / "lync2013-ready.yml").read_text(encoding="utf-8"))
    for section, values in change.items():
        data[section] = {**(data.get(section) or {}), **values} if values and section != "faults" else values
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(StateError) as caught:
        load_state(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_services_of_unknown_computers_are_refused() -> None:
    deployment = {"product": "sfb2015", "build": "6.0.9319.619", "windows_services": {"fe9.contoso.local": []}}
    with pytest.raises(StateError, match=r"not a computer of any pool: fe9\.contoso\.local"):
        make_state(deployment=deployment)


def test_a_federation_route_must_name_an_edge_pool_and_every_pool_site_exists() -> None:
    pools = [
        {"fqdn": "pool01.contoso.local", "site": "Dublin"},
        {"fqdn": "edge01.contoso.local", "site": "Dublin", "services": ["EdgeServer"]},
    ]
    deployment = {"product": "sfb2015", "build": "6.0.9319.619", "pools": pools}
    bad = {**deployment, "sites": [{"name": "Dublin", "federation_route": "pool01.contoso.local"}]}
    with pytest.raises(StateError, match=r"sites\[0\]\.federation_route.*not an Edge pool: pool01\.contoso\.local"):
        make_state(deployment=bad)
    good = {**deployment, "sites": [{"name": "Paris", "federation_route": "edge01.contoso.local"}]}
    sites = make_state(deployment=good).deployment["sites"]
    assert sites == [
        {"name": "Paris", "federation_route": "edge01.contoso.local"},
        {"name": "Dublin", "federation_route": None},
    ]


@pytest.mark.parametrize(("text", "message"), [("", "the state file is empty"), ("host: [", "not valid YAML")])
def test_unreadable_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "state.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StateError, match=message):
        load_state(path)
    with pytest.raises(StateError, match="cannot read the state file"):
        load_state(tmp_path / "missing.yml")


def test_every_password_is_a_journal_secret() -> None:
    lab = Lab("lync2013-ready")
    record = lab.journal.write("probe", text=f"{LAB_PASSWORD} and {TENANT_PASSWORD}")
    assert record["text"] == f"{MASK} and {MASK}"
