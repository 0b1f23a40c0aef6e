"""``LedgerControlPlane``: the ControlPlane protocol over the embedded ledger.

Each method validates its input, asks the directory what it needs (outside any transaction:
the directory may be a remote service), then runs ONE write transaction: load the affected
records, apply due downgrades (R5), change assignments, reconcile each affected user through
the domain, store, write history. Any error rolls the whole operation back. Reads (describe,
list) answer from a read snapshot, which never waits for a writer, and take the write transaction
only when a due downgrade must be stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from kiro_provider.controlplane import (
    Assignment,
    Bill,
    BillLine,
    Group,
    GroupSubscription,
    ProfileSettings,
    User,
    UserSubscription,
    check_settings,
    unknown_profile,
)
from kiro_provider.directory.base import Directory
from kiro_provider.domain.billing import monthly_bill, parse_month
from kiro_provider.domain.subscription import activate
from kiro_provider.domain.tiers import PriceTable, Tier, parse_tier
from kiro_provider.errors import ConflictError, NotFoundError, ValidationError
from kiro_provider.ledger import tables as t
from kiro_provider.ledger.store import Ledger
from kiro_provider.ledger.unit import UnitOfWork, WriteNeeded
from kiro_provider.ownership import assignment_subject, resolve_claim

_T = TypeVar("_T")


class LedgerControlPlane:
    """Kiro's console over the embedded ledger, with ``directory`` for users and groups.

    ``clock`` gives "now" (aware UTC; a naive value is taken as UTC); ``actor`` is recorded as
    who made each change; ``prices`` rate the bill. Holds no connection or lock (picklable
    when its clock and directory are).
    """

    def __init__(
        self,
        ledger: Ledger,
        directory: Directory,
        clock: Callable[[], datetime],
        actor: str = "kiroctl",
        prices: PriceTable = PriceTable(),  # noqa: B008 - frozen, so sharing it is safe
    ) -> None:
        self.ledger = ledger
        self.directory = directory
        self.clock = clock
        self.actor = actor
        self.prices = prices

    # --- lookups ------------------------------------------------------------------------------

    def profiles(self) -> tuple[str, ...]:
        """Names of the ledger's profiles, sorted."""
        return self.ledger.profiles()

    def find_user(self, ref: str) -> User:
        """The directory user whose id, user name or email is ``ref``."""
        return self.directory.find_user(ref)

    def find_group(self, ref: str) -> Group:
        """The directory group whose id or display name is ``ref``."""
        return self.directory.find_group(ref)

    def group_member_ids(self, group_id: str) -> frozenset[str]:
        """Ids of the group's current members in the directory."""
        return frozenset(u.user_id for u in self.directory.members(group_id))

    # --- users --------------------------------------------------------------------------------

    def subscribe_user(
        self, profile: str, user_id: str, tier: Tier, *, owner: str | None, adopt: bool = False
    ) -> UserSubscription:
        """Create or change the user's direct assignment (R1/R3/R4); ownership as the
        protocol says (ConflictError naming the other owner, or how to adopt)."""
        tier = parse_tier(tier)
        _check_owner(owner)
        user = self.directory.get_user(user_id)
        with self._write(profile) as work:
            work.load_users({user_id})
            current = work.assignment(user_id)
            new_owner = resolve_claim(
                current, "user", user.user_name, profile, owner=owner, adopt=adopt
            )
            work.set_assignment(user_id, Assignment(None, tier, new_owner))
            work.reconcile({user_id: user.user_name})
            return work.user_view(user_id)

    def unsubscribe_user(self, profile: str, user_id: str) -> UserSubscription | None:
        """Remove the user's direct assignment only; the rest decides (R3/R4/R6).
        None when the user never had a record in the profile."""
        with self._write(profile) as work:
            if user_id not in work.load_users({user_id}):
                return None
            work.set_assignment(user_id, None)
            work.reconcile({user_id: None})
            return work.user_view(user_id)

    def deactivate_user(self, profile: str, user_id: str) -> UserSubscription:
        """ "Deactivate plan": drop every assignment of the user; Canceled (R6).
        NotFoundError when the user has no record in the profile."""
        with self._write(profile) as work:
            _require_record(work, user_id)
            for assignment in work.assignments(user_id):
                work.set_assignment(user_id, None, assignment.group_id)
            work.reconcile({user_id: None})
            return work.user_view(user_id)

    def activate_user(self, profile: str, user_id: str) -> UserSubscription:
        """The user's first sign-in: Pending -> Active (R2); ConflictError without a live
        subscription."""
        user = self.directory.get_user(user_id)
        with self._write(profile) as work:
            row = work.load_users({user_id}).get(user_id)
            try:
                state = activate(row.state if row else None, work.now)
            except ConflictError as exc:
                where = assignment_subject("user", user.user_name, profile)
                raise ConflictError(f"user: {where}: {exc.message}", field="user") from exc
            work.set_state(user_id, state)
            return work.user_view(user_id)

    def describe_user(self, profile: str, user_id: str) -> UserSubscription | None:
        """The user's record (any status) after due downgrades (R5), or None."""

        def view(work: UnitOfWork) -> UserSubscription | None:
            if user_id not in work.load_users({user_id}):
                return None
            return work.user_view(user_id)

        # A refresh asks this of every Subscription: one statement, no BEGIN and COMMIT.
        return self._read(profile, view, one_statement=True)

    def list_users(self, profile: str) -> list[UserSubscription]:
        """Every record of the profile, by user name, after due downgrades (R5)."""

        def views(work: UnitOfWork) -> list[UserSubscription]:
            found = [work.user_view(uid) for uid in work.load_all()]
            return sorted(found, key=lambda v: (v.user.user_name, v.user.user_id))

        return self._read(profile, views)

    # --- groups -------------------------------------------------------------------------------

    def subscribe_group(
        self, profile: str, group_id: str, tier: Tier, *, owner: str | None, adopt: bool = False
    ) -> GroupSubscription:
        """Create or re-apply a group assignment (R7): current members get or refresh an
        assignment from the group; former members lose theirs; each affected user is
        reconciled. Ownership as for ``subscribe_user``."""
        tier = parse_tier(tier)
        _check_owner(owner)
        group = self.directory.get_group(group_id)
        members = {u.user_id: u.user_name for u in self.directory.members(group_id)}
        with self._write(profile) as work:
            current = t.load_group(work.conn, profile, group_id)
            new_owner = resolve_claim(
                current, "group", group.group_name, profile, owner=owner, adopt=adopt
            )
            wanted = t.GroupRow(group_id, group.group_name, tier, new_owner)
            work.set_group(group_id, current, wanted)
            _assign_members(work, group_id, wanted, members)
            work.flush()
            return work.group_views([wanted])[0]

    def unsubscribe_group(self, profile: str, group_id: str) -> None:
        """Remove the group assignment and every assignment through it (nothing there: no-op)."""
        with self._write(profile) as work:
            current = t.load_group(work.conn, profile, group_id)
            if current is not None:
                work.set_group(group_id, current, None)
                _assign_members(work, group_id, None, {})

    def describe_group(self, profile: str, group_id: str) -> GroupSubscription | None:
        """The group assignment with its members (after due downgrades), or None."""

        def view(work: UnitOfWork) -> GroupSubscription | None:
            group = t.load_group(work.conn, profile, group_id)
            return work.group_views([group])[0] if group else None

        return self._read(profile, view, due_first=True)

    def list_groups(self, profile: str) -> list[GroupSubscription]:
        """Every group assignment of the profile, by group name (after due downgrades)."""

        def views(work: UnitOfWork) -> list[GroupSubscription]:
            return work.group_views(t.load_groups(work.conn, profile))

        return self._read(profile, views, due_first=True)

    # --- settings and bill --------------------------------------------------------------------

    def get_settings(self, profile: str) -> ProfileSettings:
        """The profile's settings (R8 defaults when never set)."""
        with self.ledger.read() as conn:
            _require_profile(conn, profile)
            return ProfileSettings(profile, t.load_overages(conn, profile))

    def update_settings(
        self, profile: str, *, overages_enabled: bool, overage_cap: object = None
    ) -> ProfileSettings:
        """Turn overages on or off for the whole profile (R8); any cap is a ValidationError."""
        check_settings(overages_enabled, overage_cap)
        with self._write(profile) as work:
            work.set_overages(t.load_overages(work.conn, profile), overages_enabled)
            return ProfileSettings(profile, overages_enabled)

    def bill(self, profile: str, month: str) -> Bill:
        """The profile's bill for ``month`` (YYYY-MM) under R9, lines by user name."""
        _, end = parse_month(month)
        with self._write(profile) as work:
            work.load_due()
            work.flush()  # a downgrade applied now is part of the timelines read next
            names = {uid: row.user_name for uid, row in work.load_all().items()}
            charged = monthly_bill(t.timelines(work.conn, profile, end), month, self.prices)
        lines = [BillLine(uid, names.get(uid, uid), tier, usd) for uid, tier, usd in charged]
        return Bill(profile, month, tuple(sorted(lines, key=lambda x: (x.user_name, x.user_id))))

    # --- transactions -------------------------------------------------------------------------

    @contextmanager
    def _write(self, profile: str) -> Iterator[UnitOfWork]:
        """A write transaction and a unit of work over it: the profile checked first, the clock
        read once, every change written when the block ends, all rolled back if it raises."""
        _check_profile_name(profile)
        now = t.as_utc(self.clock())
        with self.ledger.write() as conn:
            _require_profile(conn, profile)
            work = UnitOfWork(conn, profile, now, self.actor)
            yield work
            work.flush()

    def _read(
        self,
        profile: str,
        view: Callable[[UnitOfWork], _T],
        *,
        due_first: bool = False,
        one_statement: bool = False,
    ) -> _T:
        """Answer a read on a snapshot, which waits for no writer (WAL); if the snapshot has a
        due downgrade to store (R5), answer it again in a write transaction that stores it.
        ``due_first``: apply every due downgrade of the profile before the view (a view that
        reads across users). ``one_statement``: the view reads one statement, which is a
        snapshot by itself, so no transaction is opened around it. A record found proves its
        profile exists (a foreign key), so the profile is checked only when the answer is
        empty: a refresh makes one statement fewer per resource."""
        _check_profile_name(profile)

        def answer(work: UnitOfWork) -> _T:
            if due_first:
                work.load_due()
            found = view(work)
            work.flush()
            if not found:
                _require_profile(work.conn, profile)
            return found

        now = t.as_utc(self.clock())
        try:
            if one_statement:
                return answer(
                    UnitOfWork(self.ledger.statement(), profile, now, self.actor, writable=False)
                )
            with self.ledger.read() as conn:
                return answer(UnitOfWork(conn, profile, now, self.actor, writable=False))
        except WriteNeeded:
            with self._write(profile) as work:
                return answer(work)


def _assign_members(
    work: UnitOfWork, group_id: str, group: t.GroupRow | None, members: Mapping[str, str]
) -> None:
    """Make the assignments through the group match ``members`` (none when ``group`` is None),
    then reconcile every user whose assignments may have changed (R7)."""
    holders = work.group_member_ids(group_id)
    work.load_users(holders | members.keys())
    if group is not None:
        wanted = Assignment(group_id, group.tier, group.owner)
        for user_id in sorted(members):
            work.set_assignment(user_id, wanted, group_id)
    for user_id in sorted(holders - members.keys()):
        work.set_assignment(user_id, None, group_id)
    names: dict[str, str | None] = {uid: None for uid in holders - members.keys()}
    names.update(members)
    work.reconcile(names)


def _require_record(work: UnitOfWork, user_id: str) -> None:
    if user_id not in work.load_users({user_id}):
        raise NotFoundError(
            f"user: {user_id!r} has no subscription in profile {work.profile!r}", field="user"
        )


def _check_profile_name(profile: object) -> None:
    if not isinstance(profile, str):
        raise ValidationError(f"profile: {profile!r} is not a name", field="profile")


def _require_profile(conn: sqlite3.Connection, profile: str) -> None:
    """NotFoundError listing the known profiles unless ``profile`` exists."""
    if not t.profile_exists(conn, profile):
        raise unknown_profile(profile, t.profile_names(conn))


def _check_owner(owner: object) -> None:
    if owner is not None and (not isinstance(owner, str) or not owner.strip()):
        raise ValidationError(f"owner: {owner!r} is not a valid owner", field="owner")
