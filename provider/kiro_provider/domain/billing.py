"""The monthly bill (R9), computed from each user's timeline of subscription states.

A timeline is a user's records in time order, each ``(since, state)`` in force from ``since``
until the next entry's ``since`` (the last one for ever). It is what the ledger's history holds:
one entry per write. A downgrade that came due between two writes is not an entry of its own;
it is applied here, virtually, at its scheduled time (R5).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from decimal import Decimal

from kiro_provider.domain.calendar import ensure_utc, start_of_next_month
from kiro_provider.domain.subscription import SubscriptionState, apply_due_downgrade
from kiro_provider.domain.tiers import PriceTable, Status, Tier, highest
from kiro_provider.errors import ValidationError

#: One user's subscription history: ``(since, state)`` pairs in time order.
Timeline = Sequence[tuple[datetime, SubscriptionState]]

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(month: str) -> tuple[datetime, datetime]:
    """The calendar month ``YYYY-MM`` as the half-open interval ``[start, end)`` in UTC.

    Anything else (another format, month 00 or 13, surrounding spaces, not a string) raises
    ValidationError on field ``month`` naming the value and the expected form.
    """
    match = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise ValidationError(
            f'month: {month!r} is not a calendar month; expected YYYY-MM, e.g. "2026-02"',
            field="month",
        )
    start = datetime(int(match[1]), int(match[2]), 1, tzinfo=timezone.utc)
    if start.year == 9999 and start.month == 12:
        # Its end (year 10000) is not a datetime; no real bill is that far out.
        raise ValidationError(
            f"month: {month!r} is out of range; the last is 9999-11",
            field="month",
        )
    return start, start_of_next_month(start)


def charged_tier(timeline: Timeline, start: datetime, end: datetime) -> Tier | None:
    """R9: the tier a user is charged for the period ``[start, end)``, or None.

    The highest effective tier over every stretch of ``[start, end)`` in which the user is
    Active; None when never Active in it (Pending and Canceled are not charged). Raises
    ValueError when the timeline is out of order or a datetime is naive.
    """
    start, end = ensure_utc(start, name="start"), ensure_utc(end, name="end")
    tiers = [
        state.effective_tier
        for since, until, state in _periods(timeline)
        if state.status is Status.ACTIVE and _overlaps(since, until, start, end)
    ]
    return highest(tiers)


def monthly_bill(
    timelines: Mapping[str, Timeline], month: str, prices: PriceTable
) -> list[tuple[str, Tier, Decimal]]:
    """R9 for one profile: ``(user_id, tier, usd)`` per charged user, sorted by user id.

    Each user is charged once, at ``prices`` for the highest tier effective while Active in
    ``month`` (``YYYY-MM``; a malformed month raises ValidationError).
    """
    start, end = parse_month(month)
    lines = []
    for user_id in sorted(timelines):
        tier = charged_tier(timelines[user_id], start, end)
        if tier is not None:
            lines.append((user_id, tier, prices.price(tier)))
    return lines


def _periods(timeline: Timeline) -> Iterator[tuple[datetime, datetime | None, SubscriptionState]]:
    """``(since, until, state)`` stretches of the timeline, ``until`` None for ever.

    A stretch whose state holds a downgrade that comes due before the stretch ends is split at
    the scheduled time (or applied from the start when it was already due when written).
    """
    entries = [(ensure_utc(since, name="timeline entry"), state) for since, state in timeline]
    for index, (since, state) in enumerate(entries):
        until = entries[index + 1][0] if index + 1 < len(entries) else None
        if until is not None and until < since:
            raise ValueError(f"timeline out of order: {until} follows {since}")
        yield from _split_at_due_downgrade(since, until, state)


def _split_at_due_downgrade(
    since: datetime, until: datetime | None, state: SubscriptionState
) -> Iterator[tuple[datetime, datetime | None, SubscriptionState]]:
    due = state.pending_effective_at
    if due is None or (until is not None and due >= until):
        yield since, until, state
        return
    due = max(due, since)
    yield since, due, state
    yield due, until, apply_due_downgrade(state, due)[0]


def _overlaps(since: datetime, until: datetime | None, start: datetime, end: datetime) -> bool:
    """Whether ``[since, until)`` and ``[start, end)`` share an instant (empty ones never do)."""
    if until is not None and until <= since:
        return False
    return since < end and (until is None or until > start)
