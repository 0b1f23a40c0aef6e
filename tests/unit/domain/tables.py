"""Shorthands the rule and bill tables are written in."""

from __future__ import annotations

from datetime import datetime, timezone

from kiro_provider.domain.subscription import SubscriptionState
from kiro_provider.domain.tiers import Status, Tier

UTC = timezone.utc
PRO, PLUS, POWER = Tier.PRO, Tier.PRO_PLUS, Tier.POWER
PENDING, ACTIVE, CANCELED = Status.PENDING, Status.ACTIVE, Status.CANCELED


def at(text: str) -> datetime:
    """An aware UTC datetime from ``YYYY-MM-DD[THH:MM:SS[.ffffff]]``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def state(
    status: Status, tier: Tier, pending: Tier | None = None, when: str | None = None
) -> SubscriptionState:
    """A subscription record: status, tier in force, and a downgrade pending from ``when``."""
    return SubscriptionState(status, tier, pending, at(when) if when else None)
