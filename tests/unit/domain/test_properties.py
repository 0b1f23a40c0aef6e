"""Property test: random operation sequences against an independent reference model.

The reference (``Reference``) is a deliberately plain simulator written from DESIGN.md R1-R9, not
from the domain code: ranks are ints, statuses strings, months are counted as ``year * 12 +
month - 1``, and it applies a due downgrade by walking the clock forward, recording every change
(including the downgrade itself, at its scheduled time) in its own history.

The system under test is driven the way the ledger drives it: at each operation, apply a due
downgrade (R5), then reconcile or activate, and append the result to a timeline. Downgrades are
written as their own entries only sometimes, so the bill must apply them virtually too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from kiro_provider.domain.billing import charged_tier
from kiro_provider.domain.subscription import (
    SubscriptionState,
    activate,
    apply_due_downgrade,
    reconcile,
)
from kiro_provider.domain.tiers import Tier
from kiro_provider.errors import ConflictError

UTC = timezone.utc
TIERS = {0: Tier.PRO, 1: Tier.PRO_PLUS, 2: Tier.POWER}
SOURCES = ("direct", "group-a", "group-b")


def month_index(t: datetime) -> int:
    return t.year * 12 + t.month - 1


def month_start(index: int) -> datetime:
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@dataclass
class Reference:
    """One user's subscription, simulated step by step from the rules as written."""

    status: str | None = None  # None: never subscribed
    tier: int = 0
    pending: int | None = None
    pending_at: datetime | None = None
    # (since, status, tier): every change, the virtual downgrades included.
    history: list[tuple[datetime, str, int]] = field(default_factory=list)

    def _record(self, when: datetime) -> None:
        assert self.status is not None
        self.history.append((when, self.status, self.tier))

    def catch_up(self, now: datetime) -> datetime | None:
        """R5: the scheduled downgrade happens at its time, whenever we look; returns that time."""
        if self.pending_at is None or self.pending_at > now:
            return None
        assert self.pending is not None
        self.tier, self.pending, when = self.pending, None, self.pending_at
        self.pending_at = None
        self._record(when)
        return when

    def assignments_changed(self, target: int | None, now: datetime) -> None:
        self.catch_up(now)
        if self.status in (None, "Canceled"):
            if target is not None:  # R1
                self.status, self.tier = "Pending", target
                self._record(now)
            return
        if target is None:  # R6
            self.status, self.pending, self.pending_at = "Canceled", None, None
        elif target > self.tier:  # R3
            self.tier, self.pending, self.pending_at = target, None, None
        elif target == self.tier:  # R4: back to the effective tier
            self.pending, self.pending_at = None, None
        elif target != self.pending:  # R4: schedule (or replace) a downgrade
            self.pending = target
            self.pending_at = month_start(month_index(now) + 1)
        self._record(now)

    def activate(self, now: datetime) -> bool:
        """R2; False when there is nothing to activate."""
        self.catch_up(now)
        if self.status not in ("Pending", "Active"):
            return False
        self.status = "Active"
        self._record(now)
        return True

    def charged(self, month: int) -> int | None:
        """R9: highest tier while Active in the month, by clipping each history stretch."""
        lo_month, hi_month = month_start(month), month_start(month + 1)
        best: int | None = None
        for i, (since, status, tier) in enumerate(self.history):
            until = self.history[i + 1][0] if i + 1 < len(self.history) else hi_month
            lo, hi = max(since, lo_month), min(until, hi_month)
            if status == "Active" and lo < hi and (best is None or tier > best):
                best = tier
        return best


def as_reference(record: SubscriptionState | None) -> tuple[object, ...]:
    """Every field of a domain record, in the reference's vocabulary."""
    if record is None:
        return (None, 0, None, None)
    ranks = {tier: rank for rank, tier in TIERS.items()}
    pending = None if record.pending_tier is None else ranks[record.pending_tier]
    return (record.status.value, ranks[record.effective_tier], pending, record.pending_effective_at)


def expected(ref: Reference) -> tuple[object, ...]:
    return (ref.status, ref.tier if ref.status else 0, ref.pending, ref.pending_at)


# --- operations -----------------------------------------------------------------------------

assign = st.tuples(st.just("assign"), st.sampled_from(SOURCES), st.sampled_from([0, 1, 2]))
remove = st.tuples(st.just("remove"), st.sampled_from(SOURCES), st.none())
activation = st.tuples(st.just("activate"), st.none(), st.none())
advance = st.tuples(
    st.just("advance"),
    st.none(),
    st.one_of(
        st.integers(0, 3600),  # seconds
        st.integers(0, 40 * 86400),  # up to 40 days
        st.sampled_from(["to-next-1st", "to-1-second-before-next-1st", "to-1-us-before-next-1st"]),
    ),
)
# Assignments are drawn twice as often: the interesting cases are several plan changes a month.
operations = st.lists(st.one_of(assign, assign, remove, activation, advance), max_size=30)
starts = st.one_of(
    st.sampled_from(
        [
            datetime(2025, 11, 30, 23, 59, 59, tzinfo=UTC),
            datetime(2025, 12, 31, 23, 0, tzinfo=UTC),
            datetime(2024, 2, 28, 12, 0, tzinfo=UTC),
            datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
            datetime(2026, 3, 1, tzinfo=UTC),
        ]
    ),
    st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
)


def advanced(now: datetime, amount: int | str) -> datetime:
    if isinstance(amount, int):
        return now + timedelta(seconds=amount)
    first = month_start(month_index(now) + 1)
    gap = {
        "to-next-1st": timedelta(0),
        "to-1-second-before-next-1st": timedelta(seconds=1),
        "to-1-us-before-next-1st": timedelta(microseconds=1),
    }[amount]
    return max(now, first - gap)


class Driver:
    """Drives the domain functions the way the ledger does, keeping a written timeline."""

    def __init__(self, write_downgrades: bool) -> None:
        self.record: SubscriptionState | None = None
        self.timeline: list[tuple[datetime, SubscriptionState]] = []
        self.write_downgrades = write_downgrades

    def _apply_due(self, now: datetime, due: datetime | None) -> None:
        if self.record is None:
            return
        self.record, took_effect = apply_due_downgrade(self.record, now)
        assert took_effect == due
        if took_effect is not None and self.write_downgrades:
            self.timeline.append((took_effect, self.record))

    def reconcile(self, target: Tier | None, now: datetime, due: datetime | None) -> None:
        self._apply_due(now, due)
        self.record = reconcile(self.record, target, now)
        if self.record is not None:
            self.timeline.append((now, self.record))

    def activate(self, now: datetime, due: datetime | None) -> bool:
        self._apply_due(now, due)
        try:
            self.record = activate(self.record, now)
        except ConflictError:
            return False
        self.timeline.append((now, self.record))
        return True


@settings(max_examples=1000, deadline=None)
@given(start=starts, ops=operations, write_downgrades=st.booleans())
def test_random_operations_match_reference(
    start: datetime, ops: list[tuple[str, str | None, int | str | None]], write_downgrades: bool
) -> None:
    ref, sut, now = Reference(), Driver(write_downgrades), start
    assignments: dict[str, int] = {}
    for kind, source, value in ops:
        if kind == "advance":
            assert value is not None
            now = advanced(now, value)
            continue
        due = ref.catch_up(now)  # when a due downgrade took effect, for the driver to check
        if kind == "activate":
            assert sut.activate(now, due) == ref.activate(now)
        else:
            assert source is not None
            if kind == "assign":
                assert isinstance(value, int)
                assignments[source] = value
            else:
                assignments.pop(source, None)
            target = max(assignments.values(), default=None)
            ref.assignments_changed(target, now)
            sut.reconcile(None if target is None else TIERS[target], now, due)
        assert as_reference(sut.record) == expected(ref), (kind, source, value, now)
    _check_bills(ref, sut, start, now)


def _check_bills(ref: Reference, sut: Driver, start: datetime, end: datetime) -> None:
    """Every month from the first operation to one after the last is billed the same."""
    # Nothing happens after the last operation but a downgrade already scheduled.
    ref.catch_up(month_start(month_index(end) + 2))
    for month in range(month_index(start), month_index(end) + 2):
        want = ref.charged(month)
        got = charged_tier(sut.timeline, month_start(month), month_start(month + 1))
        assert got == (None if want is None else TIERS[want]), month_start(month)
