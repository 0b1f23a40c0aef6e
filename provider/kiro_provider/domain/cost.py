"""What a change of assignments costs, before it is applied: pure, clock passed in.

The caller describes the profile as it stands (each user's record, the assignments that feed
it, and the tier this month's bill charges them) and a plan of assignment changes (direct
subscriptions and group assignments set or removed). ``estimate`` applies the plan as the
control plane would at ``now`` (R7: one subscription at the highest tier over the user's
assignments; R1, R3, R4, R6 through ``reconcile``) and prices both sides:

- this month, by R9: only Active users are charged; an upgrade of an Active user re-rates the
  month; a downgrade (from the 1st) or a cancellation (the month is paid) changes nothing; a new
  subscription is Pending and costs nothing until the user signs in;
- next month, the committed run rate: every subscribed user (Pending or Active) at the tier they
  will hold from the 1st, as if all were Active.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from kiro_provider.domain.calendar import ensure_utc, start_of_month, start_of_next_month
from kiro_provider.domain.subscription import SubscriptionState, apply_due_downgrade, reconcile
from kiro_provider.domain.tiers import PriceTable, Status, Tier, highest

#: Where an assignment comes from: None for a direct subscription, else the group's id.
Source = str | None
#: A user's assignments: source -> assigned tier.
Sources = Mapping[Source, Tier]


@dataclass(frozen=True)
class Standing:
    """One user of the profile as things stand."""

    user_name: str
    #: The subscription record (None: never subscribed in the profile).
    state: SubscriptionState | None
    #: The user's current assignments (empty for a Canceled or never-subscribed user).
    sources: Sources = field(default_factory=dict)
    #: The tier this month's bill charges the user as things stand (R9), None if not charged.
    billed_tier: Tier | None = None


@dataclass(frozen=True)
class GroupPlan:
    """A group assignment as the plan leaves it: its tier and the group's current members."""

    tier: Tier
    member_ids: frozenset[str]


@dataclass(frozen=True)
class AssignmentPlan:
    """Assignment changes to apply: None removes the assignment.

    ``direct`` maps a user id to the new tier of their direct subscription; ``groups`` maps a
    group id to the group assignment as re-applied (members who left lose it, newcomers get it).
    Assignments the plan does not name stay as they are.
    """

    direct: Mapping[str, Tier | None] = field(default_factory=dict)
    groups: Mapping[str, GroupPlan | None] = field(default_factory=dict)

    def user_ids(self) -> frozenset[str]:
        """Every user whose direct subscription or group membership the plan names."""
        ids = set(self.direct)
        for plan in self.groups.values():
            if plan is not None:
                ids |= plan.member_ids
        return frozenset(ids)


@dataclass(frozen=True)
class Amounts:
    """A monthly total before and after the change, in USD."""

    before: Decimal
    after: Decimal

    @property
    def change(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class UserCostChange:
    """What the change does to one user."""

    user_id: str
    user_name: str
    #: The tier before and after (None: no subscription). Compared now when the change takes
    #: effect now, else from the 1st of next month.
    from_tier: Tier | None
    to_tier: Tier | None
    #: When it takes effect: None for now, else 00:00 UTC on the 1st of next month.
    effective_at: datetime | None
    #: USD deltas of this month's bill and of next month's run rate.
    this_month: Decimal
    next_month: Decimal


@dataclass(frozen=True)
class CostEstimate:
    """The cost of a plan in one profile at one instant."""

    #: The current calendar month, ``YYYY-MM``.
    month: str
    #: Subscribed users (Pending or Active) per tier held from the 1st of next month.
    seats_before: Mapping[Tier, int]
    seats_after: Mapping[Tier, int]
    this_month: Amounts
    next_month: Amounts
    #: One entry per user whose tier or bill changes, by user name.
    changes: tuple[UserCostChange, ...]


def apply_plan(sources: Sources, user_id: str, plan: AssignmentPlan) -> dict[Source, Tier]:
    """R7: the user's assignments after ``plan``."""
    after = dict(sources)
    if user_id in plan.direct:
        _set(after, None, plan.direct[user_id])
    for group_id, group in plan.groups.items():
        in_group = group is not None and user_id in group.member_ids
        _set(after, group_id, group.tier if group is not None and in_group else None)
    return after


def _set(sources: dict[Source, Tier], source: Source, tier: Tier | None) -> None:
    if tier is None:
        sources.pop(source, None)
    else:
        sources[source] = tier


def tier_from_next_month(state: SubscriptionState | None, now: datetime) -> Tier | None:
    """The tier a live subscription holds from the 1st of next month (a scheduled downgrade
    applied), None when there is no live subscription."""
    if state is None or not state.is_live:
        return None
    return apply_due_downgrade(state, start_of_next_month(now))[0].effective_tier


def billed_after(
    billed_tier: Tier | None, state_after: SubscriptionState | None, now: datetime
) -> Tier | None:
    """R9: the tier this month charges a user whose record becomes ``state_after`` at ``now``.

    What was charged before ``now`` stays charged; from ``now`` on the user pays the new
    effective tier while Active. The bill as things stand (``billed_tier``) already holds the
    stretch before ``now`` (the record in force at ``now`` was in force just before it), except
    at exactly 00:00 on the 1st, when nothing of the month has passed yet.
    """
    charged_so_far = billed_tier if now > start_of_month(now) else None
    from_now = None
    if state_after is not None and state_after.status is Status.ACTIVE:
        from_now = state_after.effective_tier
    return highest(t for t in (charged_so_far, from_now) if t is not None)


def estimate(
    standings: Mapping[str, Standing],
    plan: AssignmentPlan,
    now: datetime,
    prices: PriceTable,
) -> CostEstimate:
    """The cost of applying ``plan`` at ``now`` to the profile described by ``standings``
    (user id -> standing; every user the plan names must be there, with ``state`` None when
    never subscribed). Raises ValueError when one is missing (a programming error)."""
    now = ensure_utc(now, name="now")
    missing = sorted(plan.user_ids() - set(standings))
    if missing:
        raise ValueError(f"no standing for user ids {', '.join(missing)}")
    affected = plan.user_ids() | {
        uid
        for uid, s in standings.items()
        if any(source in plan.groups for source in s.sources if source is not None)
    }
    seats_before: dict[Tier, int] = dict.fromkeys(Tier, 0)
    seats_after: dict[Tier, int] = dict.fromkeys(Tier, 0)
    this_before = this_after = next_before = next_after = Decimal(0)
    changes: list[UserCostChange] = []
    for user_id, standing in standings.items():
        before = None if standing.state is None else apply_due_downgrade(standing.state, now)[0]
        after = before
        billed = standing.billed_tier
        if user_id in affected:
            target = highest(apply_plan(standing.sources, user_id, plan).values())
            after = reconcile(before, target, now)
            billed = billed_after(standing.billed_tier, after, now)
        next_tier_before = tier_from_next_month(before, now)
        next_tier_after = tier_from_next_month(after, now)
        _count(seats_before, next_tier_before)
        _count(seats_after, next_tier_after)
        this_delta = _price(prices, billed) - _price(prices, standing.billed_tier)
        next_delta = _price(prices, next_tier_after) - _price(prices, next_tier_before)
        this_before += _price(prices, standing.billed_tier)
        this_after += _price(prices, billed)
        next_before += _price(prices, next_tier_before)
        next_after += _price(prices, next_tier_after)
        moved = _tier_move(before, after, now)
        if moved is not None:
            changes.append(
                UserCostChange(user_id, standing.user_name, *moved, this_delta, next_delta)
            )
    return CostEstimate(
        month=f"{now.year:04d}-{now.month:02d}",
        seats_before=seats_before,
        seats_after=seats_after,
        this_month=Amounts(this_before, this_after),
        next_month=Amounts(next_before, next_after),
        changes=tuple(sorted(changes, key=lambda c: (c.user_name, c.user_id))),
    )


def _count(seats: dict[Tier, int], tier: Tier | None) -> None:
    if tier is not None:
        seats[tier] += 1


def _price(prices: PriceTable, tier: Tier | None) -> Decimal:
    return Decimal(0) if tier is None else prices.price(tier)


def _live_tier(state: SubscriptionState | None) -> Tier | None:
    return state.effective_tier if state is not None and state.is_live else None


def _tier_move(
    before: SubscriptionState | None, after: SubscriptionState | None, now: datetime
) -> tuple[Tier | None, Tier | None, datetime | None] | None:
    """``(from, to, effective_at)`` as a person reads the change: the tier in force now when
    that moves (upgrade, new subscription, cancellation; ``effective_at`` None), else the tier
    from the 1st when that moves (a downgrade scheduled, replaced or dropped), else None."""
    now_before, now_after = _live_tier(before), _live_tier(after)
    if now_before is not now_after:
        return now_before, now_after, None
    next_before, next_after = tier_from_next_month(before, now), tier_from_next_month(after, now)
    if next_before is not next_after:
        return next_before, next_after, start_of_next_month(now)
    return None
