"""LedgerControlPlane: every ControlPlane method, ownership, groups, history, bad input."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from kiro_provider.controlplane import Group, User
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import ConflictError, KiroError, NotFoundError, ValidationError
from kiro_provider.ledger import Ledger, LedgerControlPlane, LedgerDirectory

from .conftest import Clock, utc
from .support import history, rows, snapshot

P = "default"
PRO, PLUS, POWER = Tier.PRO, Tier.PRO_PLUS, Tier.POWER


def test_first_subscription_is_pending_at_the_tier(
    cp: LedgerControlPlane, users: dict[str, User]
) -> None:
    sub = cp.subscribe_user(P, users["alice"].user_id, PLUS, owner="proj/dev/alice")
    assert (sub.status, sub.tier, sub.effective_tier, sub.pending_tier) == (
        Status.PENDING,
        PLUS,
        PLUS,
        None,
    )
    assert sub.user.user_name == "alice" and sub.credits == 2000
    assert sub.direct is not None and sub.direct.owner == "proj/dev/alice"
    assert cp.describe_user(P, users["alice"].user_id) == sub


def test_upgrade_is_immediate_and_downgrade_waits_for_the_first(
    cp: LedgerControlPlane, ledger: Ledger, users: dict[str, User], clock: Clock
) -> None:
    uid = users["alice"].user_id
    cp.subscribe_user(P, uid, PRO, owner=None)
    assert cp.subscribe_user(P, uid, POWER, owner=None).effective_tier is POWER
    clock.set("2025-11-30T23:59:59")
    down = cp.subscribe_user(P, uid, PLUS, owner=None)
    assert (down.tier, down.effective_tier, down.pending_tier) == (PLUS, POWER, PLUS)
    assert down.pending_effective_at == utc("2025-12-01")
    clock.set("2025-12-03T09:00:00")
    after = cp.describe_user(P, uid)
    assert after is not None
    assert (after.effective_tier, after.pending_tier, after.pending_effective_at) == (
        PLUS,
        None,
        None,
    )
    applied = [h for h in history(ledger, "subscription") if h[3] == "apply-downgrade"]
    assert applied == [("2025-12-01T00:00:00.000000Z", "kiro", "subscription",
                        "apply-downgrade", uid)]  # fmt: skip


def test_ownership_rules_for_direct_assignments(
    cp: LedgerControlPlane, ledger: Ledger, users: dict[str, User]
) -> None:
    alice, bob = users["alice"].user_id, users["bob"].user_id
    cp.subscribe_user(P, alice, PRO, owner="stack/a")
    entries = len(history(ledger))
    cp.subscribe_user(P, alice, PRO, owner="stack/a")  # same owner: idempotent completion
    assert len(history(ledger)) == entries
    with pytest.raises(ConflictError, match=r"managed by 'stack/a'"):
        cp.subscribe_user(P, alice, POWER, owner="stack/b")
    console = cp.subscribe_user(P, alice, PLUS, owner=None)  # the console changes it anyway
    assert console.direct is not None and console.direct.owner == "stack/a"

    cp.subscribe_user(P, bob, PRO, owner=None)  # made in the console: nobody owns it
    with pytest.raises(ConflictError, match=r"adopt=True"):
        cp.subscribe_user(P, bob, PLUS, owner="stack/b")
    assert cp.describe_user(P, bob).tier is PRO  # type: ignore[union-attr]
    adopted = cp.subscribe_user(P, bob, PLUS, owner="stack/b", adopt=True)
    assert adopted.direct is not None and adopted.direct.owner == "stack/b"
    assert adopted.tier is PLUS


def test_ownership_rules_for_group_assignments(
    cp: LedgerControlPlane, groups: dict[str, Group]
) -> None:
    eng = groups["eng"].group_id
    first = cp.subscribe_group(P, eng, PRO, owner="stack/eng")
    assert cp.subscribe_group(P, eng, PRO, owner="stack/eng") == first
    with pytest.raises(ConflictError, match=r"managed by 'stack/eng'"):
        cp.subscribe_group(P, eng, PRO, owner="stack/other")
    ops = groups["ops"].group_id
    cp.subscribe_group(P, ops, PRO, owner=None)
    with pytest.raises(ConflictError, match=r"adopt"):
        cp.subscribe_group(P, ops, PRO, owner="stack/ops")
    assert cp.subscribe_group(P, ops, PLUS, owner="stack/ops", adopt=True).owner == "stack/ops"


def test_overlapping_groups_give_one_record_at_the_highest_tier(
    cp: LedgerControlPlane, users: dict[str, User], groups: dict[str, Group]
) -> None:
    cp.subscribe_group(P, groups["eng"].group_id, PRO, owner=None)
    ops = cp.subscribe_group(P, groups["ops"].group_id, POWER, owner=None)
    assert [m.user_name for m in ops.members] == ["bob", "carol"]
    listed = {s.user.user_name: s for s in cp.list_users(P)}
    assert list(listed) == ["alice", "bob", "carol"]
    bob = listed["bob"]
    assert (bob.tier, bob.effective_tier, len(bob.assignments)) == (POWER, POWER, 2)
    assert {a.group_id for a in bob.assignments} == {g.group_id for g in groups.values()}
    assert listed["alice"].effective_tier is PRO


def test_a_member_leaving_falls_back_or_is_canceled(
    cp: LedgerControlPlane,
    directory: LedgerDirectory,
    users: dict[str, User],
    groups: dict[str, Group],
) -> None:
    eng, ops = groups["eng"].group_id, groups["ops"].group_id
    cp.subscribe_group(P, eng, PRO, owner=None)
    cp.subscribe_group(P, ops, POWER, owner=None)
    directory.remove_member("ops", "bob")
    directory.remove_member("ops", "carol")
    assert cp.group_member_ids(ops) == frozenset()
    assert cp.subscribe_group(P, ops, POWER, owner=None).member_count == 0
    bob = cp.describe_user(P, users["bob"].user_id)
    carol = cp.describe_user(P, users["carol"].user_id)
    assert bob is not None and carol is not None
    assert (bob.tier, bob.effective_tier, bob.pending_tier) == (PRO, POWER, PRO)  # R4
    assert (carol.status, carol.assignments) == (Status.CANCELED, ())  # R6
    directory.add_member("ops", "alice")  # joins later: subscribed when re-applied (R7)
    assert cp.describe_user(P, users["alice"].user_id).effective_tier is PRO  # type: ignore[union-attr]
    cp.subscribe_group(P, ops, POWER, owner=None)
    assert cp.describe_user(P, users["alice"].user_id).effective_tier is POWER  # type: ignore[union-attr]


def test_unsubscribe_user_removes_only_the_direct_assignment(
    cp: LedgerControlPlane, users: dict[str, User], groups: dict[str, Group]
) -> None:
    bob = users["bob"].user_id
    assert cp.unsubscribe_user(P, bob) is None  # never subscribed
    cp.subscribe_group(P, groups["eng"].group_id, PLUS, owner=None)
    cp.subscribe_user(P, bob, PLUS, owner=None)
    left = cp.unsubscribe_user(P, bob)
    assert left is not None and (left.status, left.tier, left.direct) == (
        Status.PENDING,
        PLUS,
        None,
    )
    carol = users["carol"].user_id
    cp.subscribe_user(P, carol, POWER, owner=None)
    gone = cp.unsubscribe_user(P, carol)
    assert gone is not None and (gone.status, gone.tier) == (Status.CANCELED, POWER)
    assert cp.unsubscribe_user(P, carol) == gone  # again: nothing more to do


def test_resubscribe_after_cancel_starts_pending_with_the_same_record(
    cp: LedgerControlPlane, users: dict[str, User]
) -> None:
    uid = users["alice"].user_id
    first = cp.subscribe_user(P, uid, POWER, owner=None)
    cp.activate_user(P, uid)
    cp.unsubscribe_user(P, uid)
    again = cp.subscribe_user(P, uid, PRO, owner=None)
    assert (again.status, again.effective_tier) == (Status.PENDING, PRO)
    assert again.subscription_id == first.subscription_id


def test_deactivate_drops_every_assignment(
    cp: LedgerControlPlane, users: dict[str, User], groups: dict[str, Group]
) -> None:
    bob = users["bob"].user_id
    cp.subscribe_group(P, groups["eng"].group_id, PRO, owner=None)
    cp.subscribe_group(P, groups["ops"].group_id, PLUS, owner=None)
    cp.subscribe_user(P, bob, POWER, owner=None)
    done = cp.deactivate_user(P, bob)
    assert (done.status, done.assignments, done.pending_tier) == (Status.CANCELED, (), None)
    eng = cp.describe_group(P, groups["eng"].group_id)
    assert eng is not None and [m.user_name for m in eng.members] == ["alice"]
    with pytest.raises(NotFoundError, match=r"no subscription"):
        cp.deactivate_user(P, users["carol"].user_id + "x")


def test_activation(cp: LedgerControlPlane, users: dict[str, User]) -> None:
    uid = users["alice"].user_id
    with pytest.raises(ConflictError, match=r"'alice'.*no subscription"):
        cp.activate_user(P, uid)
    cp.subscribe_user(P, uid, PRO, owner=None)
    assert cp.activate_user(P, uid).status is Status.ACTIVE
    assert cp.activate_user(P, uid).status is Status.ACTIVE  # idempotent
    cp.unsubscribe_user(P, uid)
    with pytest.raises(ConflictError, match=r"Canceled"):
        cp.activate_user(P, uid)
    with pytest.raises(NotFoundError):
        cp.activate_user(P, "no-such-user")


def test_unsubscribe_group_and_views(
    cp: LedgerControlPlane, users: dict[str, User], groups: dict[str, Group]
) -> None:
    eng, ops = groups["eng"].group_id, groups["ops"].group_id
    cp.unsubscribe_group(P, eng)  # not assigned: nothing to do
    cp.subscribe_group(P, eng, PLUS, owner="s/eng")
    cp.subscribe_group(P, ops, PRO, owner="s/ops")
    assert [(g.group.group_name, g.tier, g.member_count) for g in cp.list_groups(P)] == [
        ("eng", PLUS, 2),
        ("ops", PRO, 2),
    ]
    cp.unsubscribe_group(P, eng)
    assert cp.describe_group(P, eng) is None
    statuses = {s.user.user_name: (s.status, s.tier) for s in cp.list_users(P)}
    assert statuses == {
        "alice": (Status.CANCELED, PLUS),
        "bob": (Status.PENDING, PRO),  # falls back to ops (R4: scheduled)
        "carol": (Status.PENDING, PRO),
    }
    assert cp.group_member_ids(eng) == {users["alice"].user_id, users["bob"].user_id}


def test_reads_answer_from_a_snapshot_without_waiting_for_a_writer(
    cp: LedgerControlPlane, ledger: Ledger, users: dict[str, User], groups: dict[str, Group]
) -> None:
    alice = users["alice"].user_id
    cp.subscribe_user(P, alice, POWER, owner=None)
    cp.subscribe_group(P, groups["eng"].group_id, PLUS, owner="s/eng")
    before = snapshot(ledger)
    writer = sqlite3.connect(ledger.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        view = cp.describe_user(P, alice)
        assert view is not None and view.effective_tier is POWER
        assert [u.user.user_name for u in cp.list_users(P)] == ["alice", "bob"]
        group = cp.describe_group(P, groups["eng"].group_id)
        assert group is not None and group.member_count == 2
        assert [g.group.group_name for g in cp.list_groups(P)] == ["eng"]
    finally:
        writer.rollback()
        writer.close()
    assert snapshot(ledger) == before  # nothing was due: the reads stored nothing


def test_a_read_that_finds_a_due_downgrade_stores_it_once(
    cp: LedgerControlPlane, ledger: Ledger, users: dict[str, User], clock: Clock
) -> None:
    alice = users["alice"].user_id
    cp.subscribe_user(P, alice, POWER, owner=None)
    clock.set("2025-11-15T12:00:00")
    cp.subscribe_user(P, alice, PRO, owner=None)
    clock.set("2025-12-01T00:00:00")
    listed = cp.list_users(P)
    assert [(u.effective_tier, u.pending_tier) for u in listed] == [(PRO, None)]
    described = cp.describe_user(P, alice)
    assert described is not None and described.effective_tier is PRO
    applied = [h for h in history(ledger, "subscription") if h[3] == "apply-downgrade"]
    assert len(applied) == 1


def test_settings(cp: LedgerControlPlane, ledger: Ledger) -> None:
    assert cp.get_settings(P).overages_enabled is False
    assert cp.update_settings(P, overages_enabled=True).overages_enabled is True
    assert cp.get_settings(P).overages_enabled is True
    before = snapshot(ledger)
    with pytest.raises(ValidationError, match=r"not supported by Kiro yet"):
        cp.update_settings(P, overages_enabled=False, overage_cap=100)
    with pytest.raises(ValidationError, match=r"overages_enabled"):
        cp.update_settings(P, overages_enabled="yes")  # type: ignore[arg-type]
    assert snapshot(ledger) == before
    assert [h[3] for h in history(ledger, "settings")] == ["update"]
    with pytest.raises(NotFoundError, match=r"profile"):
        cp.get_settings("other")


def test_profiles_are_separate(
    cp: LedgerControlPlane, ledger: Ledger, users: dict[str, User]
) -> None:
    ledger.create_profile("eu")
    uid = users["alice"].user_id
    cp.subscribe_user(P, uid, PRO, owner=None)
    cp.subscribe_user("eu", uid, POWER, owner=None)
    assert cp.profiles() == ("default", "eu")
    assert [s.tier for s in cp.list_users(P)] == [PRO]
    assert [s.tier for s in cp.list_users("eu")] == [POWER]


BAD_CALLS: list[
    tuple[str, Callable[[LedgerControlPlane, dict[str, User]], object], type[KiroError]]
] = [
    ("tier", lambda cp, u: cp.subscribe_user(P, u["alice"].user_id, "Gold", owner=None),  # type: ignore[arg-type]
     ValidationError),
    ("user", lambda cp, u: cp.subscribe_user(P, "nobody", PRO, owner=None), NotFoundError),
    ("profile", lambda cp, u: cp.subscribe_user("nope", u["alice"].user_id, PRO, owner=None),
     NotFoundError),
    ("group", lambda cp, u: cp.subscribe_group(P, "nogroup", PRO, owner=None), NotFoundError),
    ("owner", lambda cp, u: cp.subscribe_user(P, u["alice"].user_id, PRO, owner=""),
     ValidationError),
    ("user", lambda cp, u: cp.subscribe_user(P, u["alice"].user_id, PRO, owner="other"),
     ConflictError),
    ("month", lambda cp, u: cp.bill(P, "2025-13"), ValidationError),
    ("user", lambda cp, u: cp.activate_user(P, u["bob"].user_id), ConflictError),
]  # fmt: skip


@pytest.mark.parametrize(("field", "call", "error"), BAD_CALLS)
def test_bad_input_changes_nothing(
    cp: LedgerControlPlane,
    ledger: Ledger,
    users: dict[str, User],
    field: str,
    call: Callable[[LedgerControlPlane, dict[str, User]], object],
    error: type[KiroError],
) -> None:
    cp.subscribe_user(P, users["alice"].user_id, PLUS, owner="mine")
    before = snapshot(ledger)
    with pytest.raises(error) as err:
        call(cp, users)
    assert err.value.field == field
    assert snapshot(ledger) == before


def test_a_failing_write_rolls_back_every_step(
    cp: LedgerControlPlane,
    ledger: Ledger,
    users: dict[str, User],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uid = users["alice"].user_id
    cp.subscribe_user(P, uid, POWER, owner=None)
    cp.subscribe_user(P, uid, PRO, owner=None)  # downgrade scheduled for Dec 1
    clock.set("2025-12-05")
    before = snapshot(ledger)

    def boom(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("kiro_provider.ledger.tables.write_history", boom)
    with pytest.raises(RuntimeError):
        cp.subscribe_user(P, uid, PLUS, owner=None)
    assert snapshot(ledger) == before


def test_every_change_is_in_the_history(
    cp: LedgerControlPlane, ledger: Ledger, users: dict[str, User], groups: dict[str, Group]
) -> None:
    alice = users["alice"].user_id
    cp.subscribe_user(P, alice, PRO, owner=None)
    cp.subscribe_group(P, groups["ops"].group_id, PLUS, owner=None)
    cp.activate_user(P, alice)
    cp.update_settings(P, overages_enabled=True)
    cp.unsubscribe_user(P, alice)
    cp.unsubscribe_group(P, groups["ops"].group_id)
    entries = [(e, a) for _, actor, e, a, _ in history(ledger) if actor == "test"]
    assert entries == [
        ("assignment", "assign"),
        ("subscription", "subscribe"),
        ("group", "assign"),
        ("assignment", "assign"),
        ("assignment", "assign"),
        ("subscription", "subscribe"),
        ("subscription", "subscribe"),
        ("subscription", "activate"),
        ("settings", "update"),
        ("assignment", "unassign"),
        ("subscription", "cancel"),
        ("group", "unassign"),
        ("assignment", "unassign"),
        ("assignment", "unassign"),
        ("subscription", "cancel"),
        ("subscription", "cancel"),
    ]
    at = rows(ledger, "SELECT DISTINCT at FROM history WHERE actor = 'test'")
    assert at == [("2025-11-10T12:00:00.000000Z",)]


def test_a_refresh_read_is_one_statement_and_answers_as_the_listing(
    cp: LedgerControlPlane, ledger: Ledger, users: dict[str, User], groups: dict[str, Group]
) -> None:
    bob = users["bob"].user_id  # in eng and ops
    cp.subscribe_group(P, groups["ops"].group_id, PLUS, owner="proj/dev/ops")
    cp.subscribe_user(P, bob, PRO, owner="proj/dev/bob")
    cp.subscribe_group(P, groups["eng"].group_id, POWER, owner="proj/dev/eng")
    statements: list[str] = []
    ledger.statement().set_trace_callback(statements.append)
    try:
        described = cp.describe_user(P, bob)
    finally:
        ledger.statement().set_trace_callback(None)
    assert len(statements) == 1 and statements[0].startswith("SELECT")
    (listed,) = [u for u in cp.list_users(P) if u.user.user_id == bob]
    assert described == listed
    assert described is not None and [a.group_id for a in described.assignments] == [
        None,
        *sorted((groups["eng"].group_id, groups["ops"].group_id)),
    ]
