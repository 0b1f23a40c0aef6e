"""Tiers, statuses and prices: the vocabulary every other module speaks."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from kiro_provider.errors import ValidationError, shown


class Tier(str, enum.Enum):
    """A Kiro plan. Ordered: ``Pro`` < ``Pro+`` < ``Power``; the value is the display name."""

    PRO = "Pro"
    PRO_PLUS = "Pro+"
    POWER = "Power"

    @property
    def rank(self) -> int:
        """Position in the order of tiers (0 = lowest); compare tiers by rank."""
        return _RANK[self]

    @property
    def credits(self) -> int:
        """Monthly credits included in the plan."""
        return _CREDITS[self]

    def __str__(self) -> str:
        return self.value


_RANK = {Tier.PRO: 0, Tier.PRO_PLUS: 1, Tier.POWER: 2}
_CREDITS = {Tier.PRO: 1_000, Tier.PRO_PLUS: 2_000, Tier.POWER: 10_000}

# Spellings accepted for each tier after folding case and separators ("pro+", "PRO_PLUS",
# "Pro Plus", "KIRO_ENTERPRISE_PRO_PLUS" all name Pro+).
_ALIASES: Mapping[str, Tier] = MappingProxyType(
    {
        "pro": Tier.PRO,
        "pro+": Tier.PRO_PLUS,
        "proplus": Tier.PRO_PLUS,
        "power": Tier.POWER,
    }
)
_FOLD = re.compile(r"[\s_\-]+")
_PLAN_PREFIXES = ("kiroenterprise", "qdeveloperstandalone")

VALID_TIERS = ", ".join(t.value for t in Tier)


def parse_tier(value: object, *, field: str = "tier") -> Tier:
    """Return the tier that ``value`` names, matched case-insensitively with aliases.

    Raises ValidationError naming ``field``, the value and the valid tiers when it names none.
    """
    if isinstance(value, Tier):
        return value
    if not isinstance(value, str):
        raise _not_a_tier(value, field)
    key = _FOLD.sub("", value.strip().lower())
    for prefix in _PLAN_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
    tier = _ALIASES.get(key)
    if tier is None:
        raise _not_a_tier(value, field)
    return tier


def _not_a_tier(value: object, field: str) -> ValidationError:
    return ValidationError(
        f"{field}: {shown(value)} is not a tier; expected one of {VALID_TIERS}", field=field
    )


def highest(tiers: Iterable[Tier]) -> Tier | None:
    """The highest of ``tiers`` (highest-tier-wins), or None when there are none."""
    return max(tiers, key=lambda t: t.rank, default=None)


class Status(str, enum.Enum):
    """Status of a user's subscription (groups have none)."""

    PENDING = "Pending"  # subscribed, not activated yet: not charged
    ACTIVE = "Active"  # activated: charged
    CANCELED = "Canceled"  # unsubscribed by an administrator

    def __str__(self) -> str:
        return self.value


DEFAULT_PRICES_USD: Mapping[Tier, Decimal] = MappingProxyType(
    {Tier.PRO: Decimal("20"), Tier.PRO_PLUS: Decimal("40"), Tier.POWER: Decimal("200")}
)
DEFAULT_OVERAGE_USD_PER_CREDIT = Decimal("0.04")


@dataclass(frozen=True)
class PriceTable:
    """List prices per user per month, and the overage price per credit.

    The defaults are Kiro's public list prices; pass your own (negotiated prices) to override.
    """

    monthly_usd: Mapping[Tier, Decimal] = field(default_factory=lambda: DEFAULT_PRICES_USD)
    overage_usd_per_credit: Decimal = DEFAULT_OVERAGE_USD_PER_CREDIT

    def price(self, tier: Tier) -> Decimal:
        """The monthly price of one seat at ``tier``."""
        return self.monthly_usd[tier]
