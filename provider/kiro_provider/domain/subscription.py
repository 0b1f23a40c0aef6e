"""A user's subscription as a state machine: rules R1-R6 (see docs/rules.md).

The functions are pure: they take the current record and the clock, and return the new record.
The caller (the ledger, or a test) stores it. ``None`` stands for "no record": the user was never
subscribed in the profile.

Every function applies a due downgrade first (R5), so a caller that forgot to call
``apply_due_downgrade`` still gets the right answer; callers that keep history should call it
themselves to learn when the downgrade took effect.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from kiro_provider.domain.calendar import ensure_utc, is_start_of_month, start_of_next_month
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import ConflictError

__all__ = [
    "SubscriptionState",
    "activate",
    "apply_due_downgrade",
    "reconcile",
    "start_of_next_month",
]


@dataclass(frozen=True)
class SubscriptionState:
    """One user's subscription in one profile, as the rules see it.

    Invariants (checked on construction; a violation raises ValueError, a programming error):
    ``pending_tier`` and ``pending_effective_at`` are both set or both None; a pending tier is
    below the effective tier; ``pending_effective_at`` is 00:00 UTC on a 1st; a Canceled record
    has no schedule. An aware ``pending_effective_at`` in another zone is stored as UTC.
    """

    #: Pending (not activated), Active (charged) or Canceled.
    status: Status
    #: The tier in force now; for a Canceled record, the last tier in force.
    effective_tier: Tier
    #: A scheduled downgrade (R4), or None.
    pending_tier: Tier | None = None
    #: When the scheduled downgrade takes effect: 00:00 UTC on a 1st, aware UTC; or None.
    pending_effective_at: datetime | None = None

    def __post_init__(self) -> None:
        if (self.pending_tier is None) != (self.pending_effective_at is None):
            raise ValueError("pending_tier and pending_effective_at must be set together")
        if self.pending_tier is None or self.pending_effective_at is None:
            return
        at = ensure_utc(self.pending_effective_at, name="pending_effective_at")
        # Frozen dataclass: normalising the zone needs the object's own setattr.
        object.__setattr__(self, "pending_effective_at", at)
        self._check_schedule(self.pending_tier, at)

    def _check_schedule(self, pending_tier: Tier, at: datetime) -> None:
        if self.status is Status.CANCELED:
            raise ValueError("a Canceled subscription cannot hold a scheduled downgrade (R6)")
        if pending_tier.rank >= self.effective_tier.rank:
            raise ValueError(
                f"pending tier {pending_tier} must be below effective tier {self.effective_tier}"
            )
        if not is_start_of_month(at):
            raise ValueError(f"pending_effective_at must be 00:00 UTC on a 1st, got {at}")

    @property
    def is_live(self) -> bool:
        """Subscribed (Pending or Active), as opposed to Canceled."""
        return self.status is not Status.CANCELED

    def without_schedule(self) -> SubscriptionState:
        """This record with any scheduled downgrade dropped."""
        return replace(self, pending_tier=None, pending_effective_at=None)


def apply_due_downgrade(
    state: SubscriptionState, now: datetime
) -> tuple[SubscriptionState, datetime | None]:
    """R5: apply the scheduled downgrade if its time has come (``pending_effective_at <= now``).

    Returns the record with the downgrade applied and the time it took effect (the scheduled
    time, not ``now``: a record read late still changed tier on the 1st), or ``(state, None)``
    when nothing was due.
    """
    now = ensure_utc(now, name="now")
    at = state.pending_effective_at
    if state.pending_tier is None or at is None or at > now:
        return state, None
    return SubscriptionState(state.status, state.pending_tier), at


def reconcile(
    state: SubscriptionState | None, target: Tier | None, now: datetime
) -> SubscriptionState | None:
    """The record after the user's assignments changed (R1, R3, R4, R6).

    ``target`` is the highest tier over the user's current assignments, None when none is left.

    - no record, no target: no record.
    - no record or Canceled, a target: R1, a fresh Pending record at ``target`` (a
      re-subscription starts over: Pending again, the old tier forgotten, no schedule).
    - Canceled, no target: unchanged.
    - live, target above the effective tier: R3, effective now, status kept, schedule dropped
      (an upgrade of a Pending user is immediate and the user stays Pending).
    - live, target below: R4, effective tier unchanged, downgrade to ``target`` scheduled for
      ``start_of_next_month(now)``, replacing any other schedule. Re-applying the target that is
      already scheduled keeps the schedule as it is. A Pending user's downgrade is deferred too.
    - live, target equal to the effective tier: schedule dropped.
    - live, no target: R6, Canceled, schedule dropped, effective tier kept as the last one.
    """
    now = ensure_utc(now, name="now")
    if state is not None:
        state, _ = apply_due_downgrade(state, now)
    if state is None or not state.is_live:
        return _subscribe(state, target)
    if target is None:
        return replace(state.without_schedule(), status=Status.CANCELED)
    return _change_plan(state, target, now)


def _subscribe(state: SubscriptionState | None, target: Tier | None) -> SubscriptionState | None:
    """R1 for a user with no live record; without a target nothing happens."""
    if target is None:
        return state
    return SubscriptionState(Status.PENDING, target)


def _change_plan(state: SubscriptionState, target: Tier, now: datetime) -> SubscriptionState:
    """R3/R4 for a live record whose target tier is ``target``."""
    if target.rank > state.effective_tier.rank:
        return replace(state.without_schedule(), effective_tier=target)
    if target is state.effective_tier:
        return state.without_schedule()
    if target is state.pending_tier:
        # Already scheduled: re-applying the same target must not move the date.
        return state
    return replace(state, pending_tier=target, pending_effective_at=start_of_next_month(now))


def activate(state: SubscriptionState | None, now: datetime) -> SubscriptionState:
    """R2: the user signed in; a Pending record becomes Active (tier and schedule unchanged).

    An Active record is returned unchanged (activation is idempotent: a second sign-in is not
    an error). There is nothing to activate without a live subscription, so ``None`` (never
    subscribed) and Canceled raise ConflictError; the caller adds the user's name.
    """
    now = ensure_utc(now, name="now")
    if state is None:
        raise ConflictError(
            "cannot activate: the user has no subscription in this profile; subscribe them first",
            field="user",
        )
    state, _ = apply_due_downgrade(state, now)
    if state.status is Status.CANCELED:
        raise ConflictError(
            "cannot activate: the subscription is Canceled; subscribe the user again "
            "(they start Pending) and activate then",
            field="user",
        )
    return replace(state, status=Status.ACTIVE)
