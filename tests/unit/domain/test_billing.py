"""Table tests for the monthly bill (R9, kiro_provider.domain.billing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import pytest

from kiro_provider.domain.billing import charged_tier, monthly_bill, parse_month
from kiro_provider.domain.subscription import SubscriptionState
from kiro_provider.domain.tiers import PriceTable, Tier
from kiro_provider.errors import ValidationError
from tests.unit.domain.tables import (
    ACTIVE,
    CANCELED,
    PENDING,
    PLUS,
    POWER,
    PRO,
    at,
    state,
)

Timeline = Sequence[tuple[datetime, SubscriptionState]]


def timeline(*entries: tuple[str, SubscriptionState]) -> Timeline:
    return [(at(since), record) for since, record in entries]


# --- parse_month ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "start", "end"),
    [
        pytest.param("2026-02", "2026-02-01", "2026-03-01", id="feb"),
        pytest.param("2024-02", "2024-02-01", "2024-03-01", id="leap-feb"),
        pytest.param("2025-12", "2025-12-01", "2026-01-01", id="dec-to-jan"),
        pytest.param("2025-01", "2025-01-01", "2025-02-01", id="jan"),
    ],
)
def test_parse_month(month: str, start: str, end: str) -> None:
    assert parse_month(month) == (at(start), at(end))


@pytest.mark.parametrize(
    "month",
    [
        pytest.param("2026-2", id="one-digit-month"),
        pytest.param("2026-13", id="month-13"),
        pytest.param("2026-00", id="month-00"),
        pytest.param("26-02", id="two-digit-year"),
        pytest.param("2026/02", id="slash"),
        pytest.param("2026-02-01", id="a-date"),
        pytest.param(" 2026-02", id="leading-space"),
        pytest.param("", id="empty"),
        pytest.param("Feb 2026", id="words"),
        pytest.param("\u0662\u0660\u0662\u0666-\u0660\u0662", id="arabic-indic-digits"),
        pytest.param("0000-01", id="year-zero"),
        pytest.param("9999-12", id="end-beyond-datetime"),
        pytest.param(202602, id="not-a-string"),
    ],
)
def test_parse_month_rejects(month: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_month(month)
    assert caught.value.field == "month"
    assert repr(month) in caught.value.message
    assert "YYYY-MM" in caught.value.message or "9999-11" in caught.value.message


def test_parse_month_message_gives_an_example() -> None:
    with pytest.raises(ValidationError, match=r"expected YYYY-MM, e\.g\. \"2026-02\""):
        parse_month("2026-13")


# --- charged_tier ---------------------------------------------------------------------------

CHARGED_CASES = [
    pytest.param([], "2025-11", None, id="no-history"),
    pytest.param(
        timeline(("2020-01-01", state(ACTIVE, PLUS))), "2025-11", PLUS, id="active-since-long-ago"
    ),
    pytest.param(
        timeline(("2025-12-01", state(ACTIVE, PLUS))), "2025-11", None, id="starts-after-month"
    ),
    pytest.param(
        timeline(("2025-11-01", state(ACTIVE, PRO)), ("2025-11-15", state(ACTIVE, POWER))),
        "2025-11",
        POWER,
        id="upgrade-mid-month-re-rates",
    ),
    pytest.param(
        timeline(("2025-11-01", state(ACTIVE, PRO)), ("2025-11-30T23:59:59", state(ACTIVE, POWER))),
        "2025-11",
        POWER,
        id="upgrade-in-last-second-re-rates",
    ),
    pytest.param(
        timeline(("2025-11-01", state(ACTIVE, PRO)), ("2025-12-01", state(ACTIVE, POWER))),
        "2025-11",
        PRO,
        id="upgrade-at-dec1-is-december",
    ),
    # R4: downgrade takes effect next month
    pytest.param(
        timeline(
            ("2025-11-01", state(ACTIVE, POWER)),
            ("2025-11-10", state(ACTIVE, POWER, PRO, "2025-12-01")),
        ),
        "2025-11",
        POWER,
        id="downgrade-month-still-old-tier",
    ),
    pytest.param(
        timeline(("2025-11-10", state(ACTIVE, POWER, PRO, "2025-12-01"))),
        "2025-12",
        PRO,
        id="due-but-unwritten-downgrade",
    ),
    pytest.param(
        timeline(
            ("2025-11-10", state(ACTIVE, POWER, PRO, "2025-12-01")),
            ("2025-12-01", state(ACTIVE, PRO)),
        ),
        "2025-12",
        PRO,
        id="downgrade-written-on-the-1st",
    ),
    pytest.param(
        timeline(
            ("2025-11-10", state(ACTIVE, POWER, PRO, "2025-12-01")),
            ("2025-12-05", state(ACTIVE, POWER, PRO, "2025-12-01")),
        ),
        "2025-12",
        PRO,
        id="stale-entry-written-after-due",
    ),
    pytest.param(
        timeline(
            ("2025-12-10", state(ACTIVE, POWER, PLUS, "2026-01-01")),
            ("2025-12-20", state(ACTIVE, POWER, PRO, "2026-01-01")),
        ),
        "2026-01",
        PRO,
        id="replaced-downgrade-dec-to-jan",
    ),
    pytest.param(
        timeline(
            ("2025-11-10", state(ACTIVE, POWER, PRO, "2025-12-01")),
            ("2025-11-20", state(ACTIVE, POWER)),
        ),
        "2025-12",
        POWER,
        id="dropped-downgrade-never-applies",
    ),
    pytest.param(
        timeline(
            ("2024-02-10", state(ACTIVE, POWER, PRO, "2024-03-01")),
            ("2024-03-01", state(ACTIVE, PRO)),
        ),
        "2024-02",
        POWER,
        id="leap-feb-still-old-tier",
    ),
    # cancel
    pytest.param(
        timeline(("2025-11-01", state(ACTIVE, PLUS)), ("2025-11-20", state(CANCELED, PLUS))),
        "2025-11",
        PLUS,
        id="cancel-mid-month-still-pays",
    ),
    pytest.param(
        timeline(("2025-11-01", state(ACTIVE, PLUS)), ("2025-11-20", state(CANCELED, PLUS))),
        "2025-12",
        None,
        id="canceled-month-after-free",
    ),
    pytest.param(
        timeline(("2025-11-01", state(ACTIVE, PLUS)), ("2025-12-01", state(CANCELED, PLUS))),
        "2025-12",
        None,
        id="canceled-at-dec1-0000-free-in-dec",
    ),
    pytest.param(
        timeline(
            ("2025-11-01", state(ACTIVE, PLUS)), ("2025-11-30T23:59:59", state(CANCELED, PLUS))
        ),
        "2025-11",
        PLUS,
        id="canceled-nov30-235959-pays-nov",
    ),
    # Pending
    pytest.param(
        timeline(("2025-11-01", state(PENDING, POWER))), "2025-11", None, id="pending-never-charged"
    ),
    pytest.param(
        timeline(("2025-11-01", state(PENDING, PRO)), ("2025-11-05", state(PENDING, POWER))),
        "2025-11",
        None,
        id="pending-upgraded-still-free",
    ),
    pytest.param(
        timeline(
            ("2025-11-01", state(PENDING, POWER)),
            ("2025-11-10", state(ACTIVE, POWER)),
            ("2025-11-12", state(CANCELED, POWER)),
        ),
        "2025-11",
        POWER,
        id="activated-then-canceled-in-month",
    ),
    pytest.param(
        timeline(("2025-11-01", state(PENDING, PRO)), ("2025-11-30T23:59:59", state(ACTIVE, PRO))),
        "2025-11",
        PRO,
        id="activated-in-last-second",
    ),
    pytest.param(
        timeline(("2025-11-01", state(PENDING, PRO)), ("2025-12-01", state(ACTIVE, PRO))),
        "2025-11",
        None,
        id="activated-at-dec1-free-in-nov",
    ),
    pytest.param(
        timeline(
            ("2025-11-05", state(PENDING, POWER, PRO, "2025-12-01")),
            ("2025-12-10", state(ACTIVE, PRO)),
        ),
        "2025-12",
        PRO,
        id="pending-power-downgraded-before-activation",
    ),
    pytest.param(
        timeline(
            ("2025-11-01", state(ACTIVE, POWER)),
            ("2025-11-10", state(CANCELED, POWER)),
            ("2025-11-15", state(PENDING, PRO)),
            ("2025-11-20", state(ACTIVE, PRO)),
        ),
        "2025-11",
        POWER,
        id="resubscribed-lower-same-month",
    ),
    pytest.param(
        timeline(
            ("2025-11-01", state(ACTIVE, POWER)),
            ("2025-11-01", state(CANCELED, POWER)),
        ),
        "2025-11",
        None,
        id="zero-length-active-not-charged",
    ),
]


@pytest.mark.parametrize(("history", "month", "expected"), CHARGED_CASES)
def test_charged_tier(history: Timeline, month: str, expected: Tier | None) -> None:
    start, end = parse_month(month)
    assert charged_tier(history, start, end) == expected


def test_charged_tier_rejects_out_of_order_timeline() -> None:
    history = timeline(("2025-11-10", state(ACTIVE, PRO)), ("2025-11-01", state(ACTIVE, POWER)))
    with pytest.raises(ValueError, match="out of order"):
        charged_tier(history, at("2025-11-01"), at("2025-12-01"))


def test_charged_tier_rejects_naive_bounds() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        charged_tier([], datetime(2025, 11, 1), at("2025-12-01"))


# --- monthly_bill ---------------------------------------------------------------------------

USERS: dict[str, Timeline] = {
    "u-carol": timeline(("2025-11-01", state(PENDING, POWER))),
    "u-bob": timeline(("2025-10-01", state(ACTIVE, PRO)), ("2025-11-15", state(ACTIVE, POWER))),
    "u-alice": timeline(("2025-10-01", state(ACTIVE, PLUS)), ("2025-11-20", state(CANCELED, PLUS))),
    "u-dave": timeline(("2025-10-01", state(ACTIVE, POWER, PRO, "2025-11-01"))),
}
CUSTOM = PriceTable(monthly_usd={PRO: Decimal("15"), PLUS: Decimal("35.50"), POWER: Decimal("150")})


@pytest.mark.parametrize(
    ("month", "prices", "expected"),
    [
        pytest.param(
            "2025-11",
            PriceTable(),
            [
                ("u-alice", PLUS, Decimal("40")),
                ("u-bob", POWER, Decimal("200")),
                ("u-dave", PRO, Decimal("20")),
            ],
            id="list-prices-sorted-by-user",
        ),
        pytest.param(
            "2025-10",
            PriceTable(),
            [
                ("u-alice", PLUS, Decimal("40")),
                ("u-bob", PRO, Decimal("20")),
                ("u-dave", POWER, Decimal("200")),
            ],
            id="month-before",
        ),
        pytest.param(
            "2025-11",
            CUSTOM,
            [
                ("u-alice", PLUS, Decimal("35.50")),
                ("u-bob", POWER, Decimal("150")),
                ("u-dave", PRO, Decimal("15")),
            ],
            id="prices-overridden",
        ),
        pytest.param(
            "2025-12",
            PriceTable(),
            [("u-bob", POWER, Decimal("200")), ("u-dave", PRO, Decimal("20"))],
            id="canceled-and-pending-absent",
        ),
        pytest.param("2025-09", PriceTable(), [], id="nobody-yet"),
    ],
)
def test_monthly_bill(month: str, prices: PriceTable, expected: list[object]) -> None:
    assert monthly_bill(USERS, month, prices) == expected


def test_monthly_bill_rejects_a_bad_month() -> None:
    with pytest.raises(ValidationError, match="'2025-13'"):
        monthly_bill(USERS, "2025-13", PriceTable())
