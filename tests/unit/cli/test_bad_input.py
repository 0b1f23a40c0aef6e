"""Bad input: one clear line on stderr naming the field, the value and what is valid; exit code
1 or 2; no traceback; and the ledger exactly as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from .support import Run, dump

NOV = "2026-11-10T09:00:00Z"


@pytest.fixture
def populated(seeded: Run) -> Run:
    """alice subscribed directly and active, engineering assigned at Pro."""
    assert seeded("--now", NOV, "subscribe", "alice", "--tier", "Pro+").code == 0
    assert seeded("--now", NOV, "activate", "alice").code == 0
    assert seeded("--now", NOV, "subscribe", "--group", "engineering", "--tier", "Pro").code == 0
    return seeded


# (arguments, exit code, fragments the one error line must contain)
CASES = [
    pytest.param(
        ("subscribe", "mallory", "--tier", "Pro"), 1, ["user", "'mallory'"], id="unknown-user"
    ),
    pytest.param(
        ("activate", "nobody@example.com"), 1, ["user", "'nobody@example.com'"], id="unknown-email"
    ),
    pytest.param(
        ("subscribe", "--group", "sales", "--tier", "Pro"), 1, ["group", "'sales'"],
        id="unknown-group",
    ),
    pytest.param(
        ("subscribe", "carol", "--tier", "gold"), 2,
        ["tier: 'gold' is not a tier", "Pro, Pro+, Power"], id="unknown-tier",
    ),
    pytest.param(
        ("change-plan", "--group", "engineering", "--tier", "Ultra"), 2,
        ["tier: 'Ultra'", "Pro, Pro+, Power"], id="unknown-tier-group",
    ),
    pytest.param(
        ("subscribe", "carol", "--tier", "Pro", "--profile", "eu"), 1,
        ["profile: 'eu'", "default"], id="unknown-profile-write",
    ),
    pytest.param(
        ("users", "--profile", "eu"), 1, ["profile: 'eu'", "default"], id="unknown-profile-read"
    ),
    pytest.param(
        ("activate", "carol"), 1,
        ["user: 'carol' has no subscription in profile default", "kiroctl subscribe carol"],
        id="activate-unsubscribed",
    ),
    pytest.param(
        ("unsubscribe", "carol"), 1, ["user: 'carol' has no subscription"],
        id="unsubscribe-unsubscribed",
    ),
    pytest.param(
        ("bill", "--month", "2026-13"), 2,
        ["month: '2026-13' is not a calendar month", "YYYY-MM"], id="month-13",
    ),
    pytest.param(
        ("bill", "--month", "November"), 2, ["month: 'November'", "YYYY-MM"], id="month-word"
    ),
    pytest.param(
        ("--now", "yesterday", "subscribe", "carol", "--tier", "Pro"), 2,
        ["now: 'yesterday' is not an ISO-8601 time", "2026-12-01T00:00:00Z"], id="now-word",
    ),
    pytest.param(
        ("subscribe", "carol", "--tier", "Pro", "--now", "2026-02-30T00:00:00Z"), 2,
        ["now: '2026-02-30T00:00:00Z'"], id="now-feb-30",
    ),
    pytest.param(
        ("subscribe", "alice", "--tier", "Power"), 1, ["kiroctl change-plan alice"],
        id="subscribe-twice",
    ),
    pytest.param(
        ("directory", "add-member", "engineering", "mallory"), 1, ["user", "'mallory'"],
        id="add-member-unknown-user",
    ),
    pytest.param(
        ("directory", "add-member", "sales", "carol"), 1, ["group", "'sales'"],
        id="add-member-unknown-group",
    ),
    pytest.param(
        ("directory", "remove-member", "engineering", "carol"), 1,
        ["'carol' is not a member of group 'engineering'"], id="remove-non-member",
    ),
    pytest.param(
        ("directory", "add-user", "alice"), 1, ["user_name", "'alice'", "exists"],
        id="duplicate-user",
    ),
    pytest.param(("frobnicate",), 2, ["invalid choice: 'frobnicate'"], id="unknown-command"),
    pytest.param(("settings", "--overages", "maybe"), 2, ["invalid choice: 'maybe'"], id="onoff"),
]  # fmt: skip


def one_line(err: str) -> str:
    """The error line; argparse usage errors print the usage first, ours print only the line."""
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    return lines[-1]


@pytest.mark.parametrize(("args", "code", "fragments"), CASES)
def test_bad_input_is_one_line_and_changes_nothing(
    populated: Run, ledger: Path, args: tuple[str, ...], code: int, fragments: list[str]
) -> None:
    before = dump(ledger)
    result = populated(*args)
    line = one_line(result.err)
    assert (result.code, result.out) == (code, "")
    assert line.startswith("kiroctl") and ": error: " in line
    for fragment in fragments:
        assert fragment in line
    assert dump(ledger) == before


@pytest.mark.parametrize(("args", "code", "fragments"), CASES[:-2])
def test_kiro_errors_print_exactly_one_line(
    populated: Run, args: tuple[str, ...], code: int, fragments: list[str]
) -> None:
    err = populated(*args).err
    assert err.count("\n") == 1
    assert err.startswith("kiroctl: error: ")


def test_bad_tier_is_refused_before_the_ledger_is_created(run: Run, ledger: Path) -> None:
    result = run("subscribe", "alice", "--tier", "gold")
    assert result.code == 2
    assert not ledger.exists()


def test_bad_now_and_month_are_refused_before_the_ledger_is_created(run: Run, ledger: Path) -> None:
    assert run("--now", "soon", "users").code == 2
    assert run("bill", "--month", "2026-1").code == 2
    assert not ledger.exists()


def test_a_file_that_is_not_a_ledger_is_left_alone(run: Run, ledger: Path) -> None:
    ledger.write_bytes(b"shopping list: milk, eggs\n")
    result = run("subscribe", "alice", "--tier", "Pro")
    assert result.code == 1
    line = one_line(result.err)
    assert line.startswith("kiroctl: error: ledger: ")
    assert str(ledger) in line and "not a ledger" in line
    assert ledger.read_bytes() == b"shopping list: milk, eggs\n"


def test_an_sqlite_file_of_another_program_is_left_alone(run: Run, ledger: Path) -> None:
    conn = sqlite3.connect(ledger)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    raw = ledger.read_bytes()
    result = run("users")
    assert result.code == 1
    assert "not a ledger" in one_line(result.err)
    assert ledger.read_bytes() == raw


def test_a_ledger_from_a_newer_release_is_left_alone(populated: Run, ledger: Path) -> None:
    from kiro_provider.ledger import schema
    from kiro_provider.ledger.store import forget_opened

    newer = schema.SCHEMA_VERSION + 1
    conn = sqlite3.connect(ledger)
    conn.execute("UPDATE schema_version SET version = ?", (newer,))
    conn.commit()
    conn.close()
    forget_opened()  # a new process would check the file again
    before = dump(ledger)
    result = populated("subscribe", "carol", "--tier", "Pro")
    assert result.code == 1
    line = one_line(result.err)
    assert f"schema version {newer}" in line and "upgrade" in line
    assert dump(ledger) == before


def test_directory_commands_refuse_identity_center(
    run: Run, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIRO_DIRECTORY", "identitycenter")
    monkeypatch.setenv("KIRO_IDENTITY_STORE_ID", "d-1234567890")
    monkeypatch.setenv("KIRO_IDENTITY_STORE_REGION", "us-east-1")
    result = run("directory", "add-user", "alice")
    assert result.code == 2
    assert "directory: " in one_line(result.err) and "'identitycenter'" in result.err


def test_a_bad_directory_kind_names_the_valid_ones(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIRO_DIRECTORY", "ldap")
    result = run("users")
    assert result.code == 2
    assert "directory: 'ldap'" in result.err and "ledger, identitycenter" in result.err
