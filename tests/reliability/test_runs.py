"""Crash trials (small), two stacks on one ledger at once, and planted secrets, through the real
CLI. The full crash trials (20 x 300 per kind) are `python -m tests.reliability.crash_trials`."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from pulumi import automation as auto

from kiro_provider.ledger import LedgerDirectory, open_ledger
from tests.e2e.harness import E2EStack, kiroctl, new_stack
from tests.reliability import crash_trials

pytestmark = pytest.mark.e2e
GROUPS = Path(__file__).parent / "programs" / "groups"
PLANTED = {
    "AWS_SECRET_ACCESS_KEY": "planted-aws-secret-5b1f0c",
    "AWS_SESSION_TOKEN": "planted-session-token-77ad",
    "GITHUB_TOKEN": "planted-github-token-e93c",
    "PULUMI_ACCESS_TOKEN": "planted-pulumi-token-1a2b",
    "PULUMI_CONFIG_PASSPHRASE": "planted-passphrase-c0ffee",
}


@pytest.mark.parametrize("skip_checkpoints", [False, True], ids=["checkpoints", "skipped"])
@pytest.mark.parametrize("kind", crash_trials.KINDS)
def test_crash_trials_converge(tmp_path: Path, kind: str, skip_checkpoints: bool) -> None:
    results = crash_trials.run_trials(
        kind, trials=2, resources=30, base=tmp_path, seed=6, skip_checkpoints=skip_checkpoints
    )
    print(crash_trials.summary(kind, results, 30, skip_checkpoints))
    assert [r.problems for r in results] == [[], []]


def test_crash_trials_converge_with_overlapping_groups(tmp_path: Path) -> None:
    results = crash_trials.run_trials(
        "provider", trials=2, resources=30, base=tmp_path, seed=6, skip_checkpoints=True, groups=4
    )
    print(crash_trials.summary("provider", results, 30, skip_checkpoints=True, groups=4))
    assert [r.problems for r in results] == [[], []]


def _ledger_rows(ledger: Path) -> tuple[list[tuple[object, ...]], ...]:
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
        return (
            list(conn.execute("SELECT * FROM subscriptions ORDER BY user_id")),
            list(conn.execute("SELECT * FROM assignments ORDER BY user_id, group_id")),
            list(conn.execute("SELECT * FROM history ORDER BY id")),
        )


def test_up_adopts_what_a_lost_state_left_behind(tmp_path: Path) -> None:
    """The state a run without checkpoints leaves when it is killed: the ledger holds
    subscriptions this stack made that its state does not record. The next `up` creates those
    resources again, meets each assignment with this stack's own owner, takes it over, and
    changes nothing in the ledger."""
    e2e, ledger = crash_trials._setup(tmp_path, 6, skip_checkpoints=True)
    assert e2e.stack.up(parallel=16).summary.resource_changes == {"create": 7}
    lost = [f"user-{i:05d}" for i in (1, 4)]
    for name in lost:
        e2e.run_cli("state", "delete", e2e.resource_state(name)["urn"], "--yes")
    before = _ledger_rows(ledger)

    up = e2e.stack.up(parallel=16)
    assert up.summary.resource_changes == {"create": 2, "same": 5}
    assert _ledger_rows(ledger) == before  # no plan, owner or history changed
    assert {e2e.resource_state(name)["id"] for name in lost} == {
        row[2] for row in before[0] if row[3] in lost
    }
    e2e.stack.preview(refresh=True, expect_no_changes=True, parallel=16)


def _group_stack(
    tmp: Path, name: str, ledger: Path, groups: str, tier: str, users: str
) -> E2EStack:
    return new_stack(
        GROUPS,
        tmp / name,
        stack_name=name,
        config={"groups": groups, "tier": tier, "users": users, "kiro:ledger": str(ledger)},
        env={"KIRO_LEDGER": str(ledger), **PLANTED},
    )


def test_two_stacks_on_one_ledger_at_once_and_no_planted_secret_anywhere(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    directory = LedgerDirectory(open_ledger(str(ledger)))
    directory.add_users([(f"u{i:02d}", None) for i in range(60)])
    # team-a = u00..u39, team-b = u20..u59, team-c = u30..u49: overlapping memberships
    directory.add_group("team-a", members=[f"u{i:02d}" for i in range(0, 40)])
    directory.add_group("team-b", members=[f"u{i:02d}" for i in range(20, 60)])
    directory.add_group("team-c", members=[f"u{i:02d}" for i in range(30, 50)])
    a = _group_stack(tmp_path, "a", ledger, "team-a,team-c", "Pro", "u05,u25")
    b = _group_stack(tmp_path, "b", ledger, "team-b", "Power", "u55")

    outcomes: dict[str, auto.UpResult | BaseException] = {}

    def up(name: str, e2e: E2EStack) -> None:
        try:
            outcomes[name] = e2e.stack.up(parallel=8)
        except BaseException as exc:  # reported by the assertion below
            outcomes[name] = exc

    threads = [threading.Thread(target=up, args=(n, s)) for n, s in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(o, auto.UpResult) for o in outcomes.values()), outcomes

    users = {row["user_name"]: row for row in json.loads(kiroctl(a, "users", "--json").stdout)}
    assert len(users) == 60  # one subscription per user, however many assignments
    for i in range(60):
        want = "Power" if i >= 20 else "Pro"
        assert users[f"u{i:02d}"]["effective_tier"] == want, users[f"u{i:02d}"]
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        twice = "SELECT count(*) FROM subscriptions GROUP BY profile, user_id HAVING count(*) > 1"
        assert conn.execute(twice).fetchall() == []
    for e2e in (a, b):
        e2e.stack.preview(refresh=True, expect_no_changes=True)

    _assert_no_planted_value(tmp_path, [str(o) for o in outcomes.values()])


def _assert_no_planted_value(tmp: Path, outputs: list[str]) -> None:
    """Neither the state, the ledger (and its WAL), the engine's logs nor the output hold one."""
    haystacks = {f"output {i}": text.encode() for i, text in enumerate(outputs)}
    for path in tmp.rglob("*"):
        if path.is_file():
            haystacks[str(path)] = path.read_bytes()
    states = [data for name, data in haystacks.items() if "/stacks/" in name]
    assert any(b'"team-a"' in data for data in states), "the search would not find a value"
    assert any(name.endswith("ledger.db") for name in haystacks)
    for name, value in PLANTED.items():
        leaks = [where for where, data in haystacks.items() if value.encode() in data]
        assert leaks == [], f"{name}'s value found in {leaks}"
