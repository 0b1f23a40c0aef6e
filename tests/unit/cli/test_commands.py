"""Every kiroctl command against a real ledger: confirming lines, tables and JSON shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import Run

NOV = "2026-11-10T09:00:00Z"

USER_KEYS = [
    "user_name",
    "user_id",
    "email",
    "subscription_id",
    "status",
    "tier",
    "effective_tier",
    "pending_tier",
    "pending_effective_at",
    "credits",
    "groups",
]


def user_row(run: Run, name: str) -> dict[str, object]:
    rows = run("users", "--json").json()
    return next(row for row in rows if row["user_name"] == name)


def columns(table: str) -> tuple[list[str], list[str]]:
    """The header line and the other lines of a printed table."""
    lines = table.rstrip("\n").splitlines()
    assert set(lines[1]) <= {"-", " "}, "a rule under the header"
    return [lines[0]], lines[2:]


# --- directory ------------------------------------------------------------------------------


def test_add_user_prints_the_new_user(run: Run) -> None:
    result = run("directory", "add-user", "alice", "--email", "alice@example.com")
    assert result.code == 0, result.err
    assert result.out.startswith("added user alice (id ")
    assert result.out.rstrip().endswith(", alice@example.com)")
    assert result.err == ""


def test_add_group_counts_its_members(run: Run) -> None:
    run("directory", "add-user", "alice")
    run("directory", "add-user", "bob")
    result = run("directory", "add-group", "eng", "--member", "alice", "--member", "bob")
    assert result.code == 0, result.err
    assert result.out.startswith("added group eng (id ")
    assert result.out.rstrip().endswith("with 2 members")
    assert run("directory", "add-group", "empty").out.rstrip().endswith("with 0 members")


def test_membership_changes_reach_the_group_when_it_is_reapplied(seeded: Run) -> None:
    assert seeded("subscribe", "--group", "engineering", "--tier", "Pro").code == 0
    added = seeded("directory", "add-member", "engineering", "carol")
    assert (added.code, added.out) == (0, "carol is now a member of engineering\n")
    removed = seeded("directory", "remove-member", "engineering", "bob@example.com")
    assert (removed.code, removed.out) == (0, "bob is no longer a member of engineering\n")
    assert seeded("groups", "--json").json()[0]["member_count"] == 2  # not re-applied yet
    reapplied = seeded("change-plan", "--group", "engineering", "--tier", "Pro")
    assert reapplied.out == "engineering: Pro for 2 members\n"
    members = seeded("groups", "--json").json()[0]["members"]
    assert [m["user_name"] for m in members] == ["alice", "carol"]
    assert user_row(seeded, "bob")["status"] == "Canceled"


# --- subscribe / change-plan / unsubscribe / activate ----------------------------------------


def test_subscribe_a_user_is_pending_at_the_tier(seeded: Run) -> None:
    result = seeded("subscribe", "alice", "--tier", "pro+")
    assert (result.code, result.out, result.err) == (0, "alice: Pro+ (Pending)\n", "")


def test_users_json_has_every_field(seeded: Run) -> None:
    seeded("subscribe", "alice", "--tier", "PRO_PLUS")
    rows = seeded("users", "--json").json()
    assert len(rows) == 1
    row = rows[0]
    assert list(row) == USER_KEYS
    assert row["user_name"] == "alice"
    assert row["email"] == "alice@example.com"
    assert row["user_id"] and row["subscription_id"]
    assert (row["status"], row["tier"], row["effective_tier"]) == ("Pending", "Pro+", "Pro+")
    assert (row["pending_tier"], row["pending_effective_at"]) == (None, None)
    assert (row["credits"], row["groups"]) == (2000, [])


def test_users_are_found_by_id_and_email(seeded: Run) -> None:
    seeded("subscribe", "alice@example.com", "--tier", "Pro")
    user_id = user_row(seeded, "alice")["user_id"]
    assert seeded("activate", str(user_id)).out == "alice: Pro (Active)\n"


def test_subscribing_a_subscribed_user_points_to_change_plan(seeded: Run) -> None:
    seeded("subscribe", "alice", "--tier", "Pro")
    result = seeded("subscribe", "alice", "--tier", "Power")
    assert result.code == 1
    assert result.out == ""
    assert "'alice' is already subscribed directly" in result.err
    assert "kiroctl change-plan alice --tier TIER" in result.err
    assert user_row(seeded, "alice")["tier"] == "Pro"


def test_change_plan_needs_a_direct_subscription(seeded: Run) -> None:
    result = seeded("change-plan", "alice", "--tier", "Power")
    assert result.code == 1
    assert "'alice' has no direct subscription in profile default" in result.err
    assert "kiroctl subscribe alice --tier TIER" in result.err
    seeded("subscribe", "--group", "engineering", "--tier", "Pro")
    through_group = seeded("change-plan", "alice", "--tier", "Power")
    assert through_group.code == 1
    assert "only through groups" in through_group.err


def test_change_plan_upgrades_at_once_and_schedules_downgrades(seeded: Run) -> None:
    seeded("--now", NOV, "subscribe", "alice", "--tier", "Pro")
    up = seeded("--now", NOV, "change-plan", "alice", "--tier", "Power")
    assert up.out == "alice: Power (Pending)\n"
    down = seeded("--now", NOV, "change-plan", "alice", "--tier", "Pro+")
    assert down.out == (
        "alice: Power (Pending), downgrade to Pro+ scheduled for 2026-12-01T00:00:00Z\n"
    )
    row = seeded("--now", NOV, "users", "--json").json()[0]
    assert (row["tier"], row["effective_tier"], row["credits"]) == ("Pro+", "Power", 10000)
    assert (row["pending_tier"], row["pending_effective_at"]) == ("Pro+", "2026-12-01T00:00:00Z")


def test_unsubscribe_a_user_deactivates_every_assignment(seeded: Run) -> None:
    seeded("subscribe", "alice", "--tier", "Pro")
    seeded("subscribe", "--group", "engineering", "--tier", "Power")
    result = seeded("unsubscribe", "alice")
    assert (result.code, result.out) == (0, "alice: Power (Canceled)\n")
    row = user_row(seeded, "alice")
    assert (row["status"], row["groups"]) == ("Canceled", [])


def test_activate_makes_a_pending_user_active(seeded: Run) -> None:
    seeded("subscribe", "bob", "--tier", "Power")
    assert seeded("activate", "bob").out == "bob: Power (Active)\n"
    assert user_row(seeded, "bob")["status"] == "Active"


def test_group_subscription_feeds_every_member(seeded: Run) -> None:
    result = seeded("subscribe", "--group", "engineering", "--tier", "Pro")
    assert (result.code, result.out) == (0, "engineering: Pro for 2 members\n")
    seeded("subscribe", "alice", "--tier", "Pro+")
    alice, bob = user_row(seeded, "alice"), user_row(seeded, "bob")
    assert (alice["tier"], alice["groups"]) == ("Pro+", ["engineering"])
    assert (bob["tier"], bob["groups"]) == ("Pro", ["engineering"])


def test_groups_json_has_every_field(seeded: Run) -> None:
    seeded("subscribe", "--group", "engineering", "--tier", "Pro")
    seeded("activate", "bob")
    [group] = seeded("groups", "--json").json()
    assert list(group) == ["group_name", "group_id", "tier", "member_count", "members"]
    assert (group["group_name"], group["tier"], group["member_count"]) == ("engineering", "Pro", 2)
    assert group["group_id"]
    assert [(m["user_name"], m["status"], m["effective_tier"]) for m in group["members"]] == [
        ("alice", "Pending", "Pro"),
        ("bob", "Active", "Pro"),
    ]
    assert all(
        set(m) == {"user_id", "user_name", "status", "effective_tier"} for m in group["members"]
    )


def test_subscribing_an_assigned_group_points_to_change_plan(seeded: Run) -> None:
    seeded("subscribe", "--group", "engineering", "--tier", "Pro")
    result = seeded("subscribe", "--group", "engineering", "--tier", "Power")
    assert result.code == 1
    assert "kiroctl change-plan --group engineering --tier TIER" in result.err


def test_change_plan_and_unsubscribe_a_group(seeded: Run) -> None:
    missing = seeded("change-plan", "--group", "engineering", "--tier", "Power")
    assert missing.code == 1
    assert "'engineering' is not assigned in profile default" in missing.err
    seeded("subscribe", "--group", "engineering", "--tier", "Pro")
    assert seeded("change-plan", "--group", "engineering", "--tier", "Power").out == (
        "engineering: Power for 2 members\n"
    )
    result = seeded("unsubscribe", "--group", "engineering")
    assert (result.code, result.out) == (
        0,
        "engineering: group assignment removed from profile default\n",
    )
    assert seeded("groups", "--json").json() == []
    assert {row["status"] for row in seeded("users", "--json").json()} == {"Canceled"}


def test_user_and_group_are_mutually_exclusive(seeded: Run) -> None:
    both = seeded("subscribe", "alice", "--group", "engineering", "--tier", "Pro")
    neither = seeded("subscribe", "--tier", "Pro")
    assert both.code == neither.code == 2
    assert "not allowed with argument" in both.err
    assert "one of the arguments USER --group is required" in neither.err


# --- tabs -----------------------------------------------------------------------------------


def test_users_table_is_aligned_under_its_headers(seeded: Run) -> None:
    seeded("--now", NOV, "subscribe", "alice", "--tier", "Power")
    seeded("--now", NOV, "change-plan", "alice", "--tier", "Pro")
    seeded("--now", NOV, "subscribe", "--group", "engineering", "--tier", "Pro")
    table = seeded("--now", NOV, "users").out
    header, rows = columns(table)
    assert header[0].split() == [
        "USER", "EMAIL", "STATUS", "TIER", "EFFECTIVE", "PENDING", "CREDITS", "GROUPS", "USER",
        "ID",
    ]  # fmt: skip
    assert len(rows) == 2
    alice = next(r for r in rows if r.startswith("alice "))
    for title, value in [("STATUS", "Pending"), ("EFFECTIVE", "Power"), ("CREDITS", "10,000")]:
        assert alice.index(value) == header[0].index(title), title
    assert "Pro from 2026-12-01T00:00:00Z" in alice
    assert alice.index("Pro from") == header[0].index("PENDING")


def test_groups_table_lists_members(seeded: Run) -> None:
    seeded("subscribe", "--group", "engineering", "--tier", "Pro+")
    header, rows = columns(seeded("groups").out)
    assert header[0].split()[:4] == ["GROUP", "TIER", "MEMBERS", "MEMBER"]
    assert rows[0].split()[:5] == ["engineering", "Pro+", "2", "alice,", "bob"]


@pytest.mark.parametrize(
    ("command", "note"),
    [
        (("users",), "No subscriptions in profile default.\n"),
        (("groups",), "No group assignments in profile default.\n"),
        (("bill", "--month", "2026-11"), "No charges in profile default for 2026-11.\n"),
    ],
)
def test_an_empty_tab_prints_a_one_line_note(run: Run, command: tuple[str, ...], note: str) -> None:
    result = run(*command)
    assert (result.code, result.out) == (0, note)


def test_empty_tabs_as_json(run: Run) -> None:
    assert run("users", "--json").json() == []
    assert run("groups", "--json").json() == []
    assert run("bill", "--month", "2026-11", "--json").json() == {
        "month": "2026-11",
        "total_usd": 0,
        "lines": [],
    }


def test_settings_show_and_change_overages(run: Run) -> None:
    header, rows = columns(run("settings").out)
    assert header[0].split() == ["PROFILE", "OVERAGES"]
    assert rows[0].split() == ["default", "off"]
    assert run("settings", "--json").json() == {"profile": "default", "overages_enabled": False}
    assert run("settings", "--overages", "on").out == "default: overages on\n"
    assert run("settings", "--json").json() == {"profile": "default", "overages_enabled": True}
    assert run("settings", "--overages", "off", "--json").json()["overages_enabled"] is False


def test_bill_charges_active_users_once(seeded: Run) -> None:
    seeded("--now", NOV, "subscribe", "alice", "--tier", "Pro+")
    seeded("--now", NOV, "subscribe", "--group", "engineering", "--tier", "Pro")
    seeded("--now", NOV, "activate", "alice")
    seeded("--now", NOV, "activate", "bob")
    bill = seeded("--now", NOV, "bill", "--month", "2026-11", "--json").json()
    assert list(bill) == ["month", "total_usd", "lines"]
    assert bill["month"] == "2026-11"
    assert bill["total_usd"] == 60
    lines = sorted(bill["lines"], key=lambda line: line["user_name"])
    assert [list(line) for line in lines] == [["user_name", "user_id", "tier", "usd"]] * 2
    assert [(line["user_name"], line["tier"], line["usd"]) for line in lines] == [
        ("alice", "Pro+", 40),
        ("bob", "Pro", 20),
    ]
    table = seeded("--now", NOV, "bill", "--month", "2026-11").out
    header, rows = columns(table.split("\n\n")[0])
    assert header[0].split() == ["USER", "TIER", "USD", "USER", "ID"]
    assert {tuple(r.split()[:3]) for r in rows} == {
        ("alice", "Pro+", "40.00"),
        ("bob", "Pro", "20.00"),
    }
    assert table.rstrip().endswith("Total for 2026-11 (profile default): $60.00 for 2 users")


# --- options and defaults -------------------------------------------------------------------


def test_profile_comes_from_the_flag_or_the_environment(
    seeded: Run, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiro_provider.ledger import open_ledger

    open_ledger(ledger).create_profile("eu")
    assert seeded("subscribe", "alice", "--tier", "Pro", "--profile", "eu").code == 0
    assert seeded("users", "--json").json() == []
    assert [r["user_name"] for r in seeded("users", "--profile", "eu", "--json").json()] == [
        "alice"
    ]
    monkeypatch.setenv("KIRO_PROFILE", "eu")
    assert [r["user_name"] for r in seeded("users", "--json").json()] == ["alice"]


def test_ledger_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiro_provider.cli import main

    monkeypatch.setenv("KIRO_LEDGER", str(tmp_path / "env.db"))
    assert main(["directory", "add-user", "dora"]) == 0
    assert (tmp_path / "env.db").exists()
    assert not (tmp_path / ".kiro").exists()


def test_default_ledger_is_dot_kiro(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kiro_provider.cli import main

    assert main(["directory", "add-user", "dora"]) == 0
    assert (tmp_path / ".kiro" / "ledger.db").exists()


def test_now_comes_from_the_flag_after_the_command_or_the_environment(
    seeded: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded("subscribe", "alice", "--tier", "Power", "--now", NOV)
    down = seeded("change-plan", "alice", "--tier", "Pro", "--now", "2026-12-31T23:59:59Z")
    assert down.out.endswith("scheduled for 2027-01-01T00:00:00Z\n")
    monkeypatch.setenv("KIRO_SIMULATED_NOW", "2027-01-01T00:00:00Z")
    assert user_row(seeded, "alice")["effective_tier"] == "Pro"
