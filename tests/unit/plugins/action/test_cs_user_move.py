"""lync.hybrid.cs_user_move against the in-process lab host (the real runner protocol).

The lab state sfb2019-move has six user objects: ann, bob, carla (UPN carla.ruiz@) and dan homed
online and synchronised, eve homed online but not synchronised, frank already on pool01. The
journal shows every Get-CsUser and Move-CsUser that reached the host, the state who moved.
"""

from __future__ import annotations

import typing as t

import pytest
from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import decode_payload

from tests.unit.plugins.action import lab_support
from tests.unit.plugins.action.lab_support import state

POOL = "pool01.fabrikam.local"
MOVER = "mover@fabrikam.onmicrosoft.com"
MOVER_PASSWORD = "M0ver-Tenant-Passw0rd!"
ONLINE = ["ann@fabrikam.com", "sip:bob@fabrikam.com", "carla.ruiz@fabrikam.com", "dan@fabrikam.com"]
LOGON = {"target_pool": POOL, "username": MOVER, "password": MOVER_PASSWORD, "delay": 0}


class Lab(lab_support.Lab):
    module = "cs_user_move"

    def moves(self) -> list[dict[str, t.Any]]:
        return self.calls("Move-CsUser")

    def pools(self) -> dict[str, str | None]:
        return {u["sip_address"][4:]: u["registrar_pool"] for u in self.state.deployment["users"]}


def move_state(**moves: t.Any) -> dict[str, t.Any]:
    data = state("sfb2019-move")
    data["deployment"].setdefault("moves", {}).update(moves)
    return data


def statuses(result: dict[str, t.Any]) -> dict[str, str]:
    return {u["user"]: u["status"] for u in result["users"]}


def sent_moves(connection: t.Any) -> list[dict[str, t.Any]]:
    steps = [s for _c, _a, stdin in connection.commands for s in decode_payload(stdin)["request"]["steps"]]
    return [s for s in steps if s["cmdlet"] == "Move-CsUser"]


def test_check_mode_plans_per_user_and_sends_no_move() -> None:
    lab = Lab("sfb2019-move")
    users = [*ONLINE, "eve@fabrikam.com", "frank@fabrikam.com", "zed@fabrikam.com"]
    result, connection = lab.run({**LOGON, "users": users}, check_mode=True, diff=True)
    assert "failed" not in result, result
    assert result["changed"] is True
    assert statuses(result) == {
        "ann@fabrikam.com": "would_move",
        "bob@fabrikam.com": "would_move",
        "carla.ruiz@fabrikam.com": "would_move",
        "dan@fabrikam.com": "would_move",
        "eve@fabrikam.com": "would_move",  # not synced shows only when the tenant is asked, at the move
        "frank@fabrikam.com": "already_onprem",
        "zed@fabrikam.com": "blocked",
    }
    zed = result["users"][-1]
    assert zed["reason"] == "not_found" and "Enable-CsUser" in zed["remedy"]
    assert result["totals"] == {"would_move": 5, "already_onprem": 1, "blocked": 1, "total": 7}
    assert lab.moves() == [] and sent_moves(connection) == []
    assert len(connection.commands) == 1 == result["commands"]
    assert result["diff"]["before"]["registrar_pool"]["ann@fabrikam.com"] is None
    assert result["diff"]["after"]["registrar_pool"]["ann@fabrikam.com"] == POOL
    assert lab.changes() == []


def test_moves_in_one_command_per_batch_then_changes_nothing() -> None:
    lab = Lab("sfb2019-move")
    result, connection = lab.run({**LOGON, "users": ONLINE, "batch_size": 3})
    assert "failed" not in result, result
    assert result["changed"] is True
    assert set(statuses(result).values()) == {"moved"}
    assert result["totals"]["moved"] == 4 and result["retry"] == []
    # One read command, then two batches (3 + 1): never one command per user.
    assert len(connection.commands) == 3 == result["commands"]
    pools = lab.pools()
    assert [pools[u] for u in ("ann@fabrikam.com", "bob@fabrikam.com", "carla@fabrikam.com", "dan@fabrikam.com")] == [
        POOL
    ] * 4
    assert pools["eve@fabrikam.com"] is None  # not in the list: never sent
    assert sorted(m["params"]["Identity"] for m in lab.moves()) == sorted(ONLINE)

    again, connection = lab.run({**LOGON, "users": ONLINE})
    assert "failed" not in again and again["changed"] is False
    assert set(statuses(again).values()) == {"already_onprem"}
    assert len(connection.commands) == 1 and len(lab.moves()) == 4


def test_sends_only_documented_parameters_and_force_only_when_asked() -> None:
    lab = Lab("sfb2019-move")
    result, connection = lab.run({**LOGON, "users": ["ann@fabrikam.com"]})
    (move,) = sent_moves(connection)
    assert set(move["params"]) == {"Identity", "Target", "Credential", "Confirm"}
    assert move["params"]["Confirm"] is False
    assert "failed" not in result
    lab.run(
        {
            **LOGON,
            "users": ["bob@fabrikam.com"],
            "force": True,
            "hosted_migration_override_url": "https://admin2a.online.lync.com/HostedMigration/hostedmigrationService.svc",
        }
    )
    forced = lab.moves()[-1]["params"]
    assert forced["Force"] is True and forced["HostedMigrationOverrideUrl"].startswith("https://admin2a")
    for call in lab.moves():
        assert not {"UseOAuth", "MoveToTeams", "BypassAudioConferencingCheck", "BypassEnterpriseVoiceCheck"} & set(
            call["params"]
        )


def test_resume_after_a_partial_failure_moves_only_the_rest() -> None:
    lab = Lab("sfb2019-move")
    users = [*ONLINE, "eve@fabrikam.com", "zed@fabrikam.com"]
    first, _connection = lab.run({**LOGON, "users": users, "batch_size": 2})
    assert first["failed"] is True
    assert statuses(first)["eve@fabrikam.com"] == "not_synced"
    assert statuses(first)["zed@fabrikam.com"] == "not_found"
    assert first["totals"]["moved"] == 4
    assert first["retry"] == ["eve@fabrikam.com", "zed@fabrikam.com"]
    assert "2 of 6 users were not moved" in first["msg"] and "Azure AD Connect" in first["msg"]
    assert [m["params"]["Identity"] for m in lab.moves()].count("zed@fabrikam.com") == 0  # blocked by the read

    lab.state.deployment["users"][4]["synced"] = True  # the administrator fixed the sync
    second, _connection = lab.run({**LOGON, "users": users})
    assert statuses(second)["eve@fabrikam.com"] == "moved"
    already = [u for u, s in statuses(second).items() if s == "already_onprem"]
    assert already == [user.removeprefix("sip:") for user in ONLINE]
    assert len(lab.moves()) == 6  # 4 + eve once failed + eve moved: no one moved twice


def test_fail_fast_stops_at_the_first_failure() -> None:
    lab = Lab("sfb2019-move")
    users = ["ann@fabrikam.com", "eve@fabrikam.com", "bob@fabrikam.com"]
    result, _connection = lab.run({**LOGON, "users": users, "fail_fast": True})
    assert statuses(result) == {
        "ann@fabrikam.com": "moved",
        "eve@fabrikam.com": "not_synced",
        "bob@fabrikam.com": "skipped",
    }
    assert lab.pools()["bob@fabrikam.com"] is None


def test_throttled_moves_are_retried_with_backoff() -> None:
    lab = Lab(move_state(throttle_moves=2))
    result, connection = lab.run({**LOGON, "users": ONLINE, "retries": 1})
    assert "failed" not in result, result
    assert set(statuses(result).values()) == {"moved"}
    assert len(connection.commands) == 3  # read, batch, one retry round for the two throttled
    assert [u["attempts"] for u in result["users"]] == [2, 2, 1, 1]


def test_throttling_beyond_the_retries_fails_those_users() -> None:
    lab = Lab(move_state(throttle_moves=10))
    result, _connection = lab.run({**LOGON, "users": ["ann@fabrikam.com"], "retries": 2})
    (ann,) = result["users"]
    assert ann["status"] == "failed" and ann["reason"] == "throttled" and ann["attempts"] == 3


@pytest.mark.parametrize(
    ("change", "reason", "hint"),
    [
        ({"moves": {"tls12": False}}, "tls12_required", "SchUseStrongCrypto"),
        (
            {"sites": {"Dublin": "edge01.fabrikam.local", "Paris": "edge02.fabrikam.local"}},
            "multiple_edge_pools",
            "Topology Builder",
        ),
        ({"provider_autodiscover": None}, "hosted_migration_url", "hosted_migration_override_url"),
        ({"password": "wrong"}, "invalid_credentials", "Check username and password"),
        ({"mfa": True}, "mfa_required", "Conditional Access"),
    ],
    ids=["tls", "edge-pools", "no-autodiscover", "password", "mfa"],
)
def test_a_blocker_stops_after_the_batch_that_met_it(change: dict[str, t.Any], reason: str, hint: str) -> None:
    data = state("sfb2019-move")
    data["deployment"]["moves"] = change.get("moves", {})
    for name, edge in change.get("sites", {}).items():
        # Two sites federating through two Edge pools (Get-CsSite FederationRoute): Move-CsUser refuses.
        data["deployment"]["pools"].append(
            {"fqdn": edge, "site": name, "services": ["EdgeServer"], "computers": [edge]}
        )
        data["deployment"].setdefault("sites", []).append({"name": name, "federation_route": edge})
    if "provider_autodiscover" in change:
        data["deployment"]["hosting_providers"][0]["autodiscover_url"] = None
    if change.get("mfa"):
        data["tenant"]["admins"][1]["mfa_required"] = True
    lab = Lab(data)
    args = {**LOGON, "users": ONLINE, "batch_size": 2, "password": change.get("password", MOVER_PASSWORD)}
    result, connection = lab.run(args)
    assert result["failed"] is True
    first = result["users"][0]
    assert (first["status"], first["reason"]) == ("failed", reason)
    assert hint in first["remedy"]
    assert [u["status"] for u in result["users"][2:]] == ["skipped", "skipped"]
    assert len(connection.commands) == 2  # the second batch was never sent
    assert all(pool is None for user, pool in lab.pools().items() if user != "frank@fabrikam.com")
    assert "wrong" not in str(result) and MOVER_PASSWORD not in str(result)


def test_mfa_on_an_old_build_is_diagnosed_the_same() -> None:
    data = state("sfb2019-move")
    data["deployment"].update(product="sfb2015", build="6.0.9319.272")
    data["tenant"]["admins"][1]["mfa_required"] = True
    data["host"]["modules"] = [m for m in data["host"]["modules"] if m["name"] != "SkypeForBusiness"]
    result, _connection = Lab(data).run({**LOGON, "users": ["ann@fabrikam.com"]})
    (ann,) = result["users"]
    assert ann["reason"] == "mfa_required" and "SfB 2015 CU12" in ann["cause"]
    assert "does not support multi-factor" in ann["error_record"]["message"]


def test_a_user_on_another_pool_is_never_moved() -> None:
    data = state("sfb2019-move")
    data["deployment"]["pools"].append({"fqdn": "pool02.fabrikam.local", "computers": ["sfb-fe02.fabrikam.local"]})
    data["deployment"]["users"][0]["registrar_pool"] = "pool02.fabrikam.local"
    lab = Lab(data)
    result, _connection = lab.run({**LOGON, "users": ["ann@fabrikam.com", "bob@fabrikam.com"]})
    ann = result["users"][0]
    assert (ann["status"], ann["reason"]) == ("failed", "homed_on_other_pool")
    assert [m["params"]["Identity"] for m in lab.moves()] == ["bob@fabrikam.com"]
    assert lab.pools()["ann@fabrikam.com"] == "pool02.fabrikam.local"


@pytest.mark.parametrize(
    ("pools", "reason"),
    [
        ([{"fqdn": "pool01.fabrikam.local", "computers": ["sfb-fe01.fabrikam.local"]}], "target_not_a_pool"),
        (
            [
                {"fqdn": "pool01.fabrikam.local", "computers": ["sfb-fe01.fabrikam.local"]},
                {"fqdn": "edge.fabrikam.local", "services": ["EdgeServer"], "computers": ["edge01.fabrikam.local"]},
            ],
            "target_not_a_registrar",
        ),
    ],
)
def test_the_target_is_checked_against_the_topology(pools: list[dict[str, t.Any]], reason: str) -> None:
    data = state("sfb2019-move")
    data["deployment"]["pools"] = pools
    lab = Lab(data)
    target = "edge.fabrikam.local" if reason == "target_not_a_registrar" else "pool09.fabrikam.local"
    result, connection = lab.run({**LOGON, "target_pool": target, "users": ONLINE})
    assert result["failed"] is True and result["reason"] == reason
    assert target in result["msg"] and "registrar pool" in result["msg"]
    assert lab.moves() == [] and len(connection.commands) == 1


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"users": []}, "'users' is empty"),
        ({"users": ["* Smith"]}, "is not a SIP address or UPN"),
        ({"users": ["CONTOSO\\ann"]}, "is not a SIP address or UPN"),
        ({"users": ["ann@fabrikam.com,bob@fabrikam.com"]}, "is not a SIP address or UPN"),
        ({"target_pool": "pool01"}, "is not a fully qualified domain name"),
        ({"target_pool": "sipfed.online.lync.com"}, "would move users to the cloud"),
        ({"target_pool": "SIPFED.online.gov.skypeforbusiness.us"}, "would move users to the cloud"),
        ({"target_pool": "sipfed.online.dod.skypeforbusiness.us"}, "would move users to the cloud"),
        ({"batch_size": 0}, "batch_size must be between 1 and 500"),
        ({"hosted_migration_override_url": "http://x"}, "must be an https URL"),
        ({"retries": -1}, "retries and delay must be zero or more"),
        ({"password": ""}, "must not be empty"),
        ({"username": None}, "username"),
        ({"userz": ["a@b.c"]}, "unsupported option"),
    ],
)
def test_bad_input_fails_before_anything_is_sent(options: dict[str, t.Any], expected: str) -> None:
    lab = Lab("sfb2019-move")
    result, connection = lab.run({**LOGON, "users": ONLINE, **options})
    assert result["failed"] is True and expected in result["msg"], result
    assert connection.commands == []
    assert MOVER_PASSWORD not in result["msg"]


def test_duplicates_are_moved_once_and_the_password_never_shows() -> None:
    lab = Lab("sfb2019-move")
    result, connection = lab.run({**LOGON, "users": ["ann@fabrikam.com", "SIP:Ann@Fabrikam.com"]})
    assert [u["user"] for u in result["users"]] == ["ann@fabrikam.com"]
    assert len(lab.moves()) == 1
    (command, arguments, _stdin) = connection.commands[1]
    assert MOVER_PASSWORD not in command + " ".join(arguments)
    assert MOVER_PASSWORD not in str(result)
    assert MOVER_PASSWORD not in str(lab.journal.select())


@pytest.mark.parametrize(
    ("username", "override", "warned"),
    [
        ("mover@fabrikam.com", None, True),
        ("mover@fabrikam.com", "https://admin2a.online.lync.com/HostedMigration/hostedmigrationService.svc", False),
        ("Mover@Fabrikam.OnMicrosoft.com", None, False),
    ],
)
def test_an_admin_outside_onmicrosoft_without_override_is_warned(
    username: str, override: str | None, warned: bool
) -> None:
    """ "Move users from the cloud to on-premises": such an admin needs -HostedMigrationOverrideUrl."""
    args = {**LOGON, "users": ONLINE, "username": username}
    if override:
        args["hosted_migration_override_url"] = override
    result, _connection = Lab("sfb2019-move").run(args, check_mode=True)
    warnings = [w for w in result.get("warnings", []) if "*.onmicrosoft.com" in w]
    assert bool(warnings) is warned, result.get("warnings")
    if warned:
        assert warnings[0].startswith("mover@fabrikam.com is not a *.onmicrosoft.com account")
        assert "Set-CsHostingProvider -Identity <provider> -AutodiscoverUrl" in warnings[0]
    assert all(u["status"] == "would_move" for u in result["users"])
