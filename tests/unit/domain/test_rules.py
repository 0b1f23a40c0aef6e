"""Table tests for the subscription rules R1-R6 (kiro_provider.domain.subscription)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from kiro_provider.domain.calendar import ensure_utc, start_of_month
from kiro_provider.domain.subscription import (
    SubscriptionState,
    activate,
    apply_due_downgrade,
    reconcile,
    start_of_next_month,
)
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import ConflictError
from tests.unit.domain.tables import (
    ACTIVE,
    CANCELED,
    PENDING,
    PLUS,
    POWER,
    PRO,
    UTC,
    at,
    state,
)

# --- calendar -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param("2025-11-15T12:00:00", "2025-12-01T00:00:00", id="mid-month"),
        pytest.param("2025-11-30T23:59:59", "2025-12-01T00:00:00", id="nov30-last-second"),
        pytest.param("2025-12-01T00:00:00", "2026-01-01T00:00:00", id="dec1-midnight-is-december"),
        pytest.param("2025-12-31T23:59:59.999999", "2026-01-01T00:00:00", id="dec-to-jan"),
        pytest.param("2024-01-31T10:00:00", "2024-02-01T00:00:00", id="jan31-to-feb"),
        pytest.param("2024-02-28T23:59:59", "2024-03-01T00:00:00", id="leap-feb28"),
        pytest.param("2024-02-29T23:59:59", "2024-03-01T00:00:00", id="leap-feb29"),
        pytest.param("2023-02-28T23:59:59", "2023-03-01T00:00:00", id="non-leap-feb28"),
    ],
)
def test_start_of_next_month(now: str, expected: str) -> None:
    result = start_of_next_month(at(now))
    assert result == at(expected)
    assert result.tzinfo is UTC


def test_start_of_next_month_converts_other_zones_to_utc() -> None:
    # 20:00 in New York on Nov 30 is already 01:00 UTC on Dec 1: the month is December.
    new_york = timezone(timedelta(hours=-5))
    assert start_of_next_month(datetime(2025, 11, 30, 20, tzinfo=new_york)) == at("2026-01-01")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: start_of_next_month(datetime(2025, 11, 1)), id="start_of_next_month"),
        pytest.param(lambda: start_of_month(datetime(2025, 11, 1)), id="start_of_month"),
        pytest.param(lambda: ensure_utc(datetime(2025, 11, 1)), id="ensure_utc"),
        pytest.param(lambda: reconcile(None, PRO, datetime(2025, 11, 1)), id="reconcile"),
        pytest.param(lambda: activate(state(PENDING, PRO), datetime(2025, 11, 1)), id="activate"),
        pytest.param(
            lambda: apply_due_downgrade(state(ACTIVE, PRO), datetime(2025, 11, 1)), id="apply_due"
        ),
        pytest.param(
            lambda: SubscriptionState(ACTIVE, POWER, PRO, datetime(2025, 12, 1)), id="state"
        ),
    ],
)
def test_naive_datetimes_are_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


# --- record invariants ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "tier", "pending", "when", "message"),
    [
        pytest.param(ACTIVE, POWER, PRO, None, "set together", id="tier-without-time"),
        pytest.param(ACTIVE, POWER, None, "2025-12-01", "set together", id="time-without-tier"),
        pytest.param(ACTIVE, PRO, POWER, "2025-12-01", "below", id="pending-above-effective"),
        pytest.param(ACTIVE, PRO, PRO, "2025-12-01", "below", id="pending-equal-effective"),
        pytest.param(ACTIVE, POWER, PRO, "2025-12-02", "on a 1st", id="not-a-first"),
        pytest.param(ACTIVE, POWER, PRO, "2025-12-01T00:00:01", "on a 1st", id="not-midnight"),
        pytest.param(CANCELED, POWER, PRO, "2025-12-01", "Canceled", id="canceled-with-schedule"),
    ],
)
def test_state_invariants(
    status: Status, tier: Tier, pending: Tier | None, when: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SubscriptionState(status, tier, pending, at(when) if when else None)


def test_state_normalises_an_aware_schedule_to_utc() -> None:
    berlin = timezone(timedelta(hours=1))
    record = SubscriptionState(ACTIVE, POWER, PRO, datetime(2025, 12, 1, 1, tzinfo=berlin))
    assert record.pending_effective_at == at("2025-12-01")
    assert record.pending_effective_at is not None
    assert record.pending_effective_at.tzinfo is UTC


# --- R1 R3 R4 R6: reconcile -----------------------------------------------------------------

NOV15 = "2025-11-15T12:00:00"

RECONCILE_CASES = [
    # R1 subscribe
    pytest.param(None, None, NOV15, None, id="no-record-no-target"),
    pytest.param(None, PLUS, NOV15, state(PENDING, PLUS), id="R1-first-assignment-pending"),
    pytest.param(
        state(CANCELED, POWER), PRO, NOV15, state(PENDING, PRO), id="R1-resubscribe-lower-resets"
    ),
    pytest.param(
        state(CANCELED, PRO), POWER, NOV15, state(PENDING, POWER), id="R1-resubscribe-higher"
    ),
    pytest.param(
        state(CANCELED, PLUS), PLUS, NOV15, state(PENDING, PLUS), id="R1-resubscribe-same-tier"
    ),
    pytest.param(
        state(CANCELED, PLUS), None, NOV15, state(CANCELED, PLUS), id="canceled-no-target-kept"
    ),
    # R3 upgrade
    pytest.param(state(ACTIVE, PRO), POWER, NOV15, state(ACTIVE, POWER), id="R3-upgrade-now"),
    pytest.param(
        state(PENDING, PRO),
        PLUS,
        NOV15,
        state(PENDING, PLUS),
        id="R3-pending-upgrade-stays-pending",
    ),
    pytest.param(
        state(ACTIVE, PLUS, PRO, "2025-12-01"),
        POWER,
        NOV15,
        state(ACTIVE, POWER),
        id="R3-upgrade-drops-scheduled-downgrade",
    ),
    # R4 downgrade
    pytest.param(
        state(ACTIVE, POWER),
        PRO,
        NOV15,
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        id="R4-downgrade-next-month",
    ),
    pytest.param(
        state(ACTIVE, POWER),
        PRO,
        "2025-11-30T23:59:59",
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        id="R4-nov30-235959-for-dec1",
    ),
    pytest.param(
        state(ACTIVE, POWER),
        PRO,
        "2025-12-01T00:00:00",
        state(ACTIVE, POWER, PRO, "2026-01-01"),
        id="R4-at-dec1-0000-waits-for-jan1",
    ),
    pytest.param(
        state(ACTIVE, POWER),
        PLUS,
        "2025-12-31T23:59:59",
        state(ACTIVE, POWER, PLUS, "2026-01-01"),
        id="R4-dec-to-jan",
    ),
    pytest.param(
        state(ACTIVE, POWER),
        PRO,
        "2024-02-29T08:00:00",
        state(ACTIVE, POWER, PRO, "2024-03-01"),
        id="R4-leap-feb29",
    ),
    pytest.param(
        state(PENDING, POWER),
        PRO,
        NOV15,
        state(PENDING, POWER, PRO, "2025-12-01"),
        id="R4-pending-downgrade-deferred-too",
    ),
    pytest.param(
        state(ACTIVE, POWER, PLUS, "2025-12-01"),
        PRO,
        NOV15,
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        id="R4-newer-downgrade-replaces-lower",
    ),
    pytest.param(
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        PLUS,
        NOV15,
        state(ACTIVE, POWER, PLUS, "2025-12-01"),
        id="R4-newer-downgrade-replaces-higher",
    ),
    pytest.param(
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        PRO,
        "2025-11-30T23:00:00",
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        id="R4-same-downgrade-again-keeps-schedule",
    ),
    pytest.param(
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        POWER,
        NOV15,
        state(ACTIVE, POWER),
        id="R4-back-to-effective-drops-schedule",
    ),
    pytest.param(state(ACTIVE, PLUS), PLUS, NOV15, state(ACTIVE, PLUS), id="same-tier-no-change"),
    # R6 unsubscribe
    pytest.param(state(ACTIVE, PLUS), None, NOV15, state(CANCELED, PLUS), id="R6-cancel-active"),
    pytest.param(
        state(PENDING, POWER), None, NOV15, state(CANCELED, POWER), id="R6-cancel-pending"
    ),
    pytest.param(
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        None,
        NOV15,
        state(CANCELED, POWER),
        id="R6-cancel-drops-schedule-keeps-effective",
    ),
    # R5 applied first even when the caller did not
    pytest.param(
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        PLUS,
        "2025-12-01T00:00:00",
        state(ACTIVE, PLUS),
        id="R5-due-then-upgrade-from-downgraded",
    ),
    pytest.param(
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        PRO,
        "2025-12-10T00:00:00",
        state(ACTIVE, PRO),
        id="R5-due-then-nothing-to-schedule",
    ),
    pytest.param(
        state(ACTIVE, POWER, PLUS, "2025-12-01"),
        PRO,
        "2025-12-10T00:00:00",
        state(ACTIVE, PLUS, PRO, "2026-01-01"),
        id="R5-due-then-downgrade-again",
    ),
    pytest.param(
        state(ACTIVE, POWER, PRO, "2025-12-01"),
        None,
        "2025-12-01T00:00:00",
        state(CANCELED, PRO),
        id="R5-due-then-cancel-keeps-downgraded",
    ),
]


@pytest.mark.parametrize(("before", "target", "now", "expected"), RECONCILE_CASES)
def test_reconcile(
    before: SubscriptionState | None,
    target: Tier | None,
    now: str,
    expected: SubscriptionState | None,
) -> None:
    assert reconcile(before, target, at(now)) == expected


# --- R5: apply_due_downgrade ----------------------------------------------------------------

SCHEDULED = state(ACTIVE, POWER, PRO, "2025-12-01")


@pytest.mark.parametrize(
    ("before", "now", "expected", "took_effect"),
    [
        pytest.param(SCHEDULED, "2025-11-30T23:59:59", SCHEDULED, None, id="nov30-235959-not-due"),
        pytest.param(
            SCHEDULED, "2025-11-30T23:59:59.999999", SCHEDULED, None, id="last-microsecond-not-due"
        ),
        pytest.param(
            SCHEDULED, "2025-12-01T00:00:00", state(ACTIVE, PRO), "2025-12-01", id="dec1-0000-due"
        ),
        pytest.param(
            SCHEDULED,
            "2026-01-15T09:30:00",
            state(ACTIVE, PRO),
            "2025-12-01",
            id="read-late-took-effect-on-the-1st",
        ),
        pytest.param(
            state(PENDING, PLUS, PRO, "2024-03-01"),
            "2024-03-01T00:00:00",
            state(PENDING, PRO),
            "2024-03-01",
            id="pending-user-leap-year",
        ),
        pytest.param(
            state(ACTIVE, PLUS), "2030-01-01T00:00:00", state(ACTIVE, PLUS), None, id="no-schedule"
        ),
        pytest.param(
            state(CANCELED, POWER), "2030-01-01", state(CANCELED, POWER), None, id="canceled"
        ),
    ],
)
def test_apply_due_downgrade(
    before: SubscriptionState, now: str, expected: SubscriptionState, took_effect: str | None
) -> None:
    result, when = apply_due_downgrade(before, at(now))
    assert result == expected
    assert when == (at(took_effect) if took_effect else None)


# --- R2: activate ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        pytest.param(state(PENDING, PLUS), NOV15, state(ACTIVE, PLUS), id="pending-to-active"),
        pytest.param(
            state(PENDING, POWER, PRO, "2025-12-01"),
            NOV15,
            state(ACTIVE, POWER, PRO, "2025-12-01"),
            id="keeps-schedule",
        ),
        pytest.param(
            state(PENDING, POWER, PRO, "2025-12-01"),
            "2025-12-01T00:00:00",
            state(ACTIVE, PRO),
            id="due-downgrade-applied-first",
        ),
        pytest.param(state(ACTIVE, PRO), NOV15, state(ACTIVE, PRO), id="active-idempotent"),
    ],
)
def test_activate(before: SubscriptionState, now: str, expected: SubscriptionState) -> None:
    assert activate(before, at(now)) == expected


@pytest.mark.parametrize(
    ("before", "message"),
    [
        pytest.param(None, "no subscription", id="never-subscribed"),
        pytest.param(state(CANCELED, PLUS), "Canceled; subscribe the user again", id="canceled"),
    ],
)
def test_activate_without_live_subscription_conflicts(
    before: SubscriptionState | None, message: str
) -> None:
    with pytest.raises(ConflictError, match=message) as caught:
        activate(before, at(NOV15))
    assert caught.value.field == "user"
    assert caught.value.code == "Conflict"


# --- stories: several rules in sequence -----------------------------------------------------


def test_story_downgrade_replaced_then_due_on_the_first() -> None:
    record: SubscriptionState | None = activate(
        reconcile(None, POWER, at("2025-11-02T09:00:00")), at("2025-11-03")
    )
    record = reconcile(record, PLUS, at("2025-11-10"))
    record = reconcile(record, PRO, at("2025-11-30T23:59:59"))
    assert record == state(ACTIVE, POWER, PRO, "2025-12-01")
    assert record is not None
    assert apply_due_downgrade(record, at("2025-11-30T23:59:59.999999")) == (record, None)
    assert apply_due_downgrade(record, at("2025-12-01")) == (state(ACTIVE, PRO), at("2025-12-01"))


def test_story_cancel_then_resubscribe_starts_pending_again() -> None:
    record: SubscriptionState | None = activate(
        reconcile(None, POWER, at("2025-11-02")), at("2025-11-03")
    )
    record = reconcile(record, None, at("2025-11-20"))
    assert record == state(CANCELED, POWER)
    record = reconcile(record, PRO, at("2025-11-21"))
    assert record == state(PENDING, PRO)
    assert activate(record, at("2025-11-22")) == state(ACTIVE, PRO)
