"""Table tests for the cost of a change (kiro_provider.domain.cost) against R9.

Each row: the profile as it stands at ``now``, a plan of assignment changes, and the hand
calculation at list prices (Pro $20, Pro+ $40, Power $200): this month's bill before and after,
next month's run rate before and after, and the change per user
(``user: from -> to @when, this-month delta, next-month delta``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from kiro_provider.domain.cost import (
    AssignmentPlan,
    CostEstimate,
    GroupPlan,
    Standing,
    apply_plan,
    billed_after,
    estimate,
)
from kiro_provider.domain.tiers import PriceTable, Tier
from tests.unit.domain.tables import ACTIVE, CANCELED, PENDING, PLUS, POWER, PRO, at, state

MID_NOV = "2026-11-15T12:00:00"
DEC_1 = "2026-12-01"


@dataclass(frozen=True)
class Row:
    now: str
    standings: dict[str, Standing]
    plan: AssignmentPlan
    this_month: tuple[int, int]
    next_month: tuple[int, int]
    changes: list[str]
    seats_after: dict[Tier, int]


def group(tier: Tier, *members: str) -> GroupPlan:
    return GroupPlan(tier, frozenset(members))


def standing(
    record: object = None,
    sources: dict[str | None, Tier] | None = None,
    billed: Tier | None = None,
) -> Standing:
    return Standing("", record, sources or {}, billed)  # type: ignore[arg-type]


def named(**standings: Standing) -> dict[str, Standing]:
    """Standings keyed by user id, each named after its id."""
    return {uid: Standing(uid, s.state, s.sources, s.billed_tier) for uid, s in standings.items()}


def described(result: CostEstimate) -> list[str]:
    def tier(t: Tier | None) -> str:
        return "-" if t is None else t.value

    def usd(amount: Decimal) -> str:
        return f"{int(amount):+d}"

    return [
        f"{c.user_name}: {tier(c.from_tier)} -> {tier(c.to_tier)} "
        f"@{'now' if c.effective_at is None else c.effective_at.date().isoformat()} "
        f"{usd(c.this_month)} {usd(c.next_month)}"
        for c in result.changes
    ]


ACTIVE_PRO = standing(state(ACTIVE, PRO), {None: PRO}, PRO)
ACTIVE_POWER = standing(state(ACTIVE, POWER), {None: POWER}, POWER)
PENDING_PRO = standing(state(PENDING, PRO), {None: PRO})

ROWS = {
    # --- every kind of change to a direct subscription ---------------------------------------
    "new subscription is Pending: nothing this month, its price from next month": Row(
        MID_NOV,
        named(alice=standing()),
        AssignmentPlan(direct={"alice": PLUS}),
        (0, 0),
        (0, 40),
        ["alice: - -> Pro+ @now +0 +40"],
        {PLUS: 1},
    ),
    "upgrade of an Active user re-rates this month": Row(
        MID_NOV,
        named(alice=ACTIVE_PRO),
        AssignmentPlan(direct={"alice": POWER}),
        (20, 200),
        (20, 200),
        ["alice: Pro -> Power @now +180 +180"],
        {POWER: 1},
    ),
    "upgrade of a Pending user: nothing this month": Row(
        MID_NOV,
        named(alice=PENDING_PRO),
        AssignmentPlan(direct={"alice": POWER}),
        (0, 0),
        (20, 200),
        ["alice: Pro -> Power @now +0 +180"],
        {POWER: 1},
    ),
    "downgrade saves from the 1st only": Row(
        MID_NOV,
        named(alice=ACTIVE_POWER),
        AssignmentPlan(direct={"alice": PRO}),
        (200, 200),
        (200, 20),
        [f"alice: Power -> Pro @{DEC_1} +0 -180"],
        {PRO: 1},
    ),
    "cancellation pays the month": Row(
        MID_NOV,
        named(alice=ACTIVE_POWER),
        AssignmentPlan(direct={"alice": None}),
        (200, 200),
        (200, 0),
        ["alice: Power -> - @now +0 -200"],
        {},
    ),
    "cancelling a Pending user costs and saves nothing this month": Row(
        MID_NOV,
        named(alice=PENDING_PRO),
        AssignmentPlan(direct={"alice": None}),
        (0, 0),
        (20, 0),
        ["alice: Pro -> - @now +0 -20"],
        {},
    ),
    "re-applying the same tier changes nothing": Row(
        MID_NOV,
        named(alice=ACTIVE_PRO),
        AssignmentPlan(direct={"alice": PRO}),
        (20, 20),
        (20, 20),
        [],
        {PRO: 1},
    ),
    "re-subscribing a user cancelled this month: Pending, the month already paid": Row(
        MID_NOV,
        named(alice=standing(state(CANCELED, POWER), {}, POWER)),
        AssignmentPlan(direct={"alice": PRO}),
        (200, 200),
        (0, 20),
        ["alice: - -> Pro @now +0 +20"],
        {PRO: 1},
    ),
    # --- scheduled downgrades -----------------------------------------------------------------
    "a pending downgrade replaced by an upgrade: at once, schedule dropped": Row(
        MID_NOV,
        named(alice=standing(state(ACTIVE, PLUS, PRO, DEC_1), {None: PRO}, PLUS)),
        AssignmentPlan(direct={"alice": POWER}),
        (40, 200),
        (20, 200),
        ["alice: Pro+ -> Power @now +160 +180"],
        {POWER: 1},
    ),
    "a pending downgrade replaced by another downgrade": Row(
        MID_NOV,
        named(alice=standing(state(ACTIVE, POWER, PRO, DEC_1), {None: PRO}, POWER)),
        AssignmentPlan(direct={"alice": PLUS}),
        (200, 200),
        (20, 40),
        [f"alice: Pro -> Pro+ @{DEC_1} +0 +20"],
        {PLUS: 1},
    ),
    "a pending downgrade dropped by going back to the tier in force": Row(
        MID_NOV,
        named(alice=standing(state(ACTIVE, POWER, PRO, DEC_1), {None: PRO}, POWER)),
        AssignmentPlan(direct={"alice": POWER}),
        (200, 200),
        (20, 200),
        [f"alice: Pro -> Power @{DEC_1} +0 +180"],
        {POWER: 1},
    ),
    "a downgrade already due is in force before the change": Row(
        "2026-12-02T00:00:00",
        named(alice=standing(state(ACTIVE, POWER, PRO, DEC_1), {None: PRO}, PRO)),
        AssignmentPlan(direct={"alice": PLUS}),
        (20, 40),
        (20, 40),
        ["alice: Pro -> Pro+ @now +20 +20"],
        {PLUS: 1},
    ),
    # --- month ends ----------------------------------------------------------------------------
    "downgrade in the last second of November: from December 1": Row(
        "2026-11-30T23:59:59",
        named(alice=ACTIVE_POWER),
        AssignmentPlan(direct={"alice": PRO}),
        (200, 200),
        (200, 20),
        [f"alice: Power -> Pro @{DEC_1} +0 -180"],
        {PRO: 1},
    ),
    "downgrade at exactly 00:00 on December 1: waits for January": Row(
        "2026-12-01T00:00:00",
        named(alice=ACTIVE_POWER),
        AssignmentPlan(direct={"alice": PRO}),
        (200, 200),
        (200, 20),
        ["alice: Power -> Pro @2027-01-01 +0 -180"],
        {PRO: 1},
    ),
    "cancelling at exactly 00:00 on the 1st: nothing of the month was used": Row(
        "2026-12-01T00:00:00",
        named(alice=ACTIVE_POWER),
        AssignmentPlan(direct={"alice": None}),
        (200, 0),
        (200, 0),
        ["alice: Power -> - @now -200 -200"],
        {},
    ),
    "cancelling one second into the month pays it": Row(
        "2026-12-01T00:00:01",
        named(alice=ACTIVE_POWER),
        AssignmentPlan(direct={"alice": None}),
        (200, 200),
        (200, 0),
        ["alice: Power -> - @now +0 -200"],
        {},
    ),
    "upgrade at exactly 00:00 on the 1st rates the new month at the new tier": Row(
        "2027-01-01T00:00:00",
        named(alice=ACTIVE_PRO),
        AssignmentPlan(direct={"alice": PLUS}),
        (20, 40),
        (20, 40),
        ["alice: Pro -> Pro+ @now +20 +20"],
        {PLUS: 1},
    ),
    # --- groups: one subscription at the highest tier, billed once ------------------------------
    "a user direct and in two groups: dropping the direct changes nothing": Row(
        MID_NOV,
        named(alice=standing(state(ACTIVE, POWER), {None: PRO, "g1": PLUS, "g2": POWER}, POWER)),
        AssignmentPlan(direct={"alice": None}),
        (200, 200),
        (200, 200),
        [],
        {POWER: 1},
    ),
    "a user direct and in two groups: removing the highest group defers to the next": Row(
        MID_NOV,
        named(alice=standing(state(ACTIVE, POWER), {None: PRO, "g1": PLUS, "g2": POWER}, POWER)),
        AssignmentPlan(groups={"g2": None}),
        (200, 200),
        (200, 40),
        [f"alice: Power -> Pro+ @{DEC_1} +0 -160"],
        {PLUS: 1},
    ),
    "a user direct and in two groups: raising one group above the rest upgrades once": Row(
        MID_NOV,
        named(alice=standing(state(ACTIVE, PLUS), {None: PRO, "g1": PLUS, "g2": PRO}, PLUS)),
        AssignmentPlan(groups={"g2": group(POWER, "alice")}),
        (40, 200),
        (40, 200),
        ["alice: Pro+ -> Power @now +160 +160"],
        {POWER: 1},
    ),
    "group upgrade: the Active member re-rates the month, the Pending one does not": Row(
        MID_NOV,
        named(
            bob=standing(state(ACTIVE, PRO), {"eng": PRO}, PRO),
            carol=standing(state(PENDING, PRO), {"eng": PRO}),
        ),
        AssignmentPlan(groups={"eng": group(PLUS, "bob", "carol")}),
        (20, 40),
        (40, 80),
        ["bob: Pro -> Pro+ @now +20 +20", "carol: Pro -> Pro+ @now +0 +20"],
        {PLUS: 2},
    ),
    "group re-applied: a newcomer subscribed, a leaver cancelled, a direct user kept": Row(
        MID_NOV,
        named(
            bob=standing(state(ACTIVE, PLUS), {"eng": PLUS}, PLUS),
            carol=standing(state(ACTIVE, PLUS), {None: PRO, "eng": PLUS}, PLUS),
            dave=standing(),
            erin=standing(state(ACTIVE, PRO), {None: PRO}, PRO),
        ),
        AssignmentPlan(groups={"eng": group(PLUS, "dave")}),
        (100, 100),
        (100, 80),
        [
            "bob: Pro+ -> - @now +0 -40",
            f"carol: Pro+ -> Pro @{DEC_1} +0 -20",
            "dave: - -> Pro+ @now +0 +40",
        ],
        {PRO: 2, PLUS: 1},
    ),
    "group assignment removed: members keep their other assignments": Row(
        MID_NOV,
        named(
            bob=standing(state(ACTIVE, PLUS), {"eng": PLUS}, PLUS),
            carol=standing(state(ACTIVE, PLUS), {None: PLUS, "eng": PLUS}, PLUS),
        ),
        AssignmentPlan(groups={"eng": None}),
        (80, 80),
        (80, 40),
        ["bob: Pro+ -> - @now +0 -40"],
        {PLUS: 1},
    ),
}


@pytest.mark.parametrize("case", list(ROWS))
def test_cost_of_a_change(case: str) -> None:
    row = ROWS[case]
    result = estimate(row.standings, row.plan, at(row.now), PriceTable())
    assert (result.this_month.before, result.this_month.after) == tuple(
        map(Decimal, row.this_month)
    )
    assert (result.next_month.before, result.next_month.after) == tuple(
        map(Decimal, row.next_month)
    )
    assert described(result) == row.changes
    assert {t: n for t, n in result.seats_after.items() if n} == row.seats_after
    # The per-user deltas add up to the totals' changes.
    assert sum(c.this_month for c in result.changes) == result.this_month.change
    assert sum(c.next_month for c in result.changes) == result.next_month.change


def test_seats_count_a_user_once_at_the_tier_held_from_the_1st() -> None:
    standings = named(
        alice=standing(state(ACTIVE, POWER), {None: PRO, "g1": PLUS, "g2": POWER}, POWER),
        bob=standing(state(ACTIVE, POWER, PRO, DEC_1), {None: PRO}, POWER),
        carol=standing(state(CANCELED, PRO), {}, None),
    )
    result = estimate(standings, AssignmentPlan(), at(MID_NOV), PriceTable())
    assert result.seats_before == {PRO: 1, PLUS: 0, POWER: 1}
    assert result.seats_after == result.seats_before
    assert result.month == "2026-11"


def test_prices_come_from_the_table() -> None:
    negotiated = PriceTable({PRO: Decimal("15"), PLUS: Decimal("30"), POWER: Decimal("150")})
    result = estimate(
        named(alice=ACTIVE_PRO), AssignmentPlan(direct={"alice": POWER}), at(MID_NOV), negotiated
    )
    assert (result.this_month.change, result.next_month.change) == (Decimal(135), Decimal(135))


def test_a_user_the_plan_names_must_have_a_standing() -> None:
    with pytest.raises(ValueError, match="bob"):
        estimate({}, AssignmentPlan(direct={"bob": PRO}), at(MID_NOV), PriceTable())


def test_a_naive_clock_is_refused() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        estimate({}, AssignmentPlan(), datetime(2026, 11, 15), PriceTable())


@pytest.mark.parametrize(
    ("sources", "plan", "expected"),
    [
        ({None: PRO}, AssignmentPlan(direct={"alice": None}), {}),
        ({"g": PRO}, AssignmentPlan(groups={"g": group(PLUS, "bob")}), {}),
        ({"g": PRO}, AssignmentPlan(groups={"g": group(PLUS, "alice")}), {"g": PLUS}),
        ({None: PRO}, AssignmentPlan(groups={"h": group(POWER, "alice")}), {None: PRO, "h": POWER}),
        ({None: PRO, "g": PLUS}, AssignmentPlan(direct={"bob": POWER}), {None: PRO, "g": PLUS}),
    ],
)
def test_apply_plan(
    sources: dict[str | None, Tier], plan: AssignmentPlan, expected: dict[str | None, Tier]
) -> None:
    assert apply_plan(sources, "alice", plan) == expected


def test_billed_after_keeps_what_the_month_already_charged() -> None:
    # Re-subscribed and activated at Pro after Power earlier in the month: still Power.
    assert billed_after(POWER, state(ACTIVE, PRO), at(MID_NOV)) is POWER
    assert billed_after(POWER, state(ACTIVE, PRO), at(DEC_1)) is PRO
    assert billed_after(None, state(PENDING, POWER), at(MID_NOV)) is None
