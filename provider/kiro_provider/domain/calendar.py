"""Calendar arithmetic in UTC: the only notion of time the rules need.

Every datetime the domain accepts must be timezone-aware. A naive datetime is a programming
error (the caller forgot the clock's zone) and raises ValueError; an aware datetime in another
zone is converted to the same instant in UTC. Every datetime the domain returns is aware UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone


def ensure_utc(value: datetime, *, name: str = "datetime") -> datetime:
    """``value`` as an aware UTC datetime (same instant).

    Raises ValueError when ``value`` is naive: guessing its zone could move a schedule by hours.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value.astimezone(timezone.utc)


def start_of_month(now: datetime) -> datetime:
    """00:00:00 UTC on the 1st of the month that contains ``now`` (in UTC)."""
    now = ensure_utc(now, name="now")
    return datetime(now.year, now.month, 1, tzinfo=timezone.utc)


def start_of_next_month(now: datetime) -> datetime:
    """00:00:00 UTC on the 1st of the month after the one that contains ``now`` (in UTC).

    At exactly 00:00 on a 1st, ``now`` belongs to the month that just began, so the result is
    the 1st of the month after it (a downgrade made at Dec 1 00:00 waits until Jan 1).
    """
    now = ensure_utc(now, name="now")
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=timezone.utc)


def is_start_of_month(value: datetime) -> bool:
    """Whether ``value`` is exactly 00:00:00.000000 UTC on a 1st."""
    value = ensure_utc(value)
    return value == start_of_month(value)


def iso_utc(value: datetime | None) -> str | None:
    """``value`` as ISO-8601 UTC with a ``Z`` (``2026-12-01T00:00:00Z``), or None: the form of
    every instant the resources output and kiroctl prints."""
    if value is None:
        return None
    return f"{ensure_utc(value).replace(tzinfo=None).isoformat(timespec='seconds')}Z"
