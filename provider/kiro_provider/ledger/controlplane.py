"""``LedgerControlPlane``: the ControlPlane protocol over the embedded ledger.

Each method validates its input, asks the directory what it needs (outside any transaction:
the directory may be a remote service), then runs ONE write transaction: load the affected
records, apply due downgrades (R5), change assignments, reconcile each affected user through
the domain, store, write history. Any error rolls the whole operation back. Reads (describe,
list) answer from a read snapshot, which never waits for a writer, and take the write transaction
only when a due downgrade must be stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from kiro_provider.controlplane import (
    Assignment,
    Bill,
    BillLine,
    Group,
    GroupMember,
    GroupSubscription,
    ProfileSettings,
    User,
    UserSubscription,
)
from kiro_provider.directory.base import Directory
from kiro_provider.domain.billing import monthly_bill, parse_month
from kiro_provider.domain.subscription import activate, apply_due_downgrade
from kiro_provider.domain.tiers import PriceTable, Status, Tier, highest, parse_tier
from kiro_provider.errors import ConflictError, NotFoundError, ValidationError
from kiro_provider.ledger import tables as t
from kiro_provider.ledger.session import Session, WriteNeeded
from kiro_provider.ledger.store import Ledger, as_utc, require_profile
from kiro_provider.ownership import resolve_owner

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
        with self._session(profile) as s:
            s.load({user_id})
            current = t.direct_assignment(s.conn, profile, user_id)
            what = f"user {user.user_name!r} in profile {profile!r}"
            new_owner = resolve_owner(
                current is not None, current.owner if current else None, owner, adopt, what, "user"
            )
            wanted = Assignment(None, tier, new_owner)
            if wanted != current:
                t.set_direct_assignment(s.conn, profile, user_id, wanted)
                s.assignment_changed(user_id, current, wanted)
            s.reconcile({user_id: user.user_name})
            s.flush()
            return _user_view(s, user_id)

    def unsubscribe_user(self, profile: str, user_id: str) -> UserSubscription | None:
        """Remove the user's direct assignment only; the rest decides (R3/R4/R6).
        None when the user never had a record in the profile."""
        with self._session(profile) as s:
            if user_id not in s.load({user_id}):
                return None
            current = t.direct_assignment(s.conn, profile, user_id)
            if current is not None:
                t.set_direct_assignment(s.conn, profile, user_id, None)
                s.assignment_changed(user_id, current, None)
            s.reconcile({user_id: None})
            s.flush()
            return _user_view(s, user_id)

    def deactivate_user(self, profile: str, user_id: str) -> UserSubscription:
        """ "Deactivate plan": drop every assignment of the user; Canceled (R6).
        NotFoundError when the user has no record in the profile."""
        with self._session(profile) as s:
            self._require_record(s, user_id)
            for assignment in t.load_assignments(s.conn, profile, {user_id}).get(user_id, []):
                s.assignment_changed(user_id, assignment, None)
            t.delete_user_assignments(s.conn, profile, user_id)
            s.reconcile({user_id: None})
            s.flush()
            return _user_view(s, user_id)

    def activate_user(self, profile: str, user_id: str) -> UserSubscription:
        """The user's first sign-in: Pending -> Active (R2); ConflictError without a live
        subscription."""
        user = self.directory.get_user(user_id)
        with self._session(profile) as s:
            row = s.load({user_id}).get(user_id)
            try:
                state = activate(row.state if row else None, s.now)
            except ConflictError as exc:
                where = f"user {user.user_name!r} in profile {profile!r}"
                raise ConflictError(f"user: {where}: {exc.message}", field="user") from exc
            s.set_state(user_id, state)
            s.flush()
            return _user_view(s, user_id)

    def describe_user(self, profile: str, user_id: str) -> UserSubscription | None:
        """The user's record (any status) after due downgrades (R5), or None."""
        # A refresh asks this of every Subscription: answer it in one statement (no BEGIN and
        # COMMIT around two), unless a downgrade is due (stored in a write transaction) or there
        # is no record (the profile is checked): then as every other read.
        if isinstance(profile, str):
            found = t.load_user(self.ledger.statement(), profile, user_id)
            if found and apply_due_downgrade(found[0].state, as_utc(self.clock()))[1] is None:
                return _view(profile, *found)

        def view(s: Session) -> UserSubscription | None:
            if user_id not in s.load({user_id}):
                return None
            s.flush()
            return _user_view(s, user_id)

        return self._describe(profile, view)

    def list_users(self, profile: str) -> list[UserSubscription]:
        """Every record of the profile, by user name, after due downgrades (R5)."""

        def views(s: Session) -> list[UserSubscription]:
            s.load_due()
            s.flush()
            s.rows.update(t.load_subscriptions(s.conn, profile))
            assignments = t.load_assignments(s.conn, profile)
            found = [_view(profile, row, assignments.get(uid, [])) for uid, row in s.rows.items()]
            return sorted(found, key=lambda v: (v.user.user_name, v.user.user_id))

        return self._describe(profile, views)

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
        with self._session(profile) as s:
            current = t.load_group(s.conn, profile, group_id)
            what = f"group {group.group_name!r} in profile {profile!r}"
            new_owner = resolve_owner(
                current is not None, current.owner if current else None, owner, adopt, what, "group"
            )
            wanted = t.GroupRow(group_id, group.group_name, tier, new_owner)
            if wanted != current:
                t.store_group(s.conn, profile, wanted)
                action = "assign" if current is None else "reassign"
                s.record("group", action, group_id, t.group_json(current), t.group_json(wanted))
            self._apply_group(s, wanted, members)
            s.flush()
            return _group_view(s, wanted)

    def unsubscribe_group(self, profile: str, group_id: str) -> None:
        """Remove the group assignment and every assignment through it (nothing there: no-op)."""
        with self._session(profile) as s:
            current = t.load_group(s.conn, profile, group_id)
            if current is None:
                return
            t.delete_group(s.conn, profile, group_id)
            s.record("group", "unassign", group_id, t.group_json(current), None)
            self._apply_group(s, None, {}, group_id)
            s.flush()

    def _apply_group(
        self,
        s: Session,
        group: t.GroupRow | None,
        members: Mapping[str, str],
        group_id: str | None = None,
    ) -> None:
        """Make the assignments through the group match ``members`` (none when ``group`` is
        None), then reconcile every user whose assignments may have changed (R7)."""
        gid = group.group_id if group else group_id
        assert gid is not None
        existing = t.group_assignments_by_user(s.conn, s.profile, gid)
        wanted = {}
        if group is not None:
            wanted = {uid: Assignment(gid, group.tier, group.owner) for uid in members}
        s.load(existing.keys() | wanted.keys())
        changed = {uid: a for uid, a in wanted.items() if existing.get(uid) != a}
        gone = existing.keys() - wanted.keys()
        t.put_group_member_assignments(s.conn, s.profile, gid, changed)
        t.delete_group_member_assignments(s.conn, s.profile, gid, gone)
        for uid in sorted(changed):
            s.assignment_changed(uid, existing.get(uid), changed[uid])
        for uid in sorted(gone):
            s.assignment_changed(uid, existing[uid], None)
        names: dict[str, str | None] = {uid: None for uid in gone}
        names.update(members)
        s.reconcile(names)

    def describe_group(self, profile: str, group_id: str) -> GroupSubscription | None:
        """The group assignment with its members (after due downgrades), or None."""

        def view(s: Session) -> GroupSubscription | None:
            s.load_due()
            s.flush()
            group = t.load_group(s.conn, profile, group_id)
            return _group_view(s, group) if group else None

        return self._describe(profile, view)

    def list_groups(self, profile: str) -> list[GroupSubscription]:
        """Every group assignment of the profile, by group name (after due downgrades)."""

        def views(s: Session) -> list[GroupSubscription]:
            s.load_due()
            s.flush()
            members = t.group_members(s.conn, profile)
            return [
                _group_from(profile, g, members.get(g.group_id, []))
                for g in t.load_groups(s.conn, profile)
            ]

        return self._describe(profile, views)

    # --- settings and bill --------------------------------------------------------------------

    def get_settings(self, profile: str) -> ProfileSettings:
        """The profile's settings (R8 defaults when never set)."""
        with self.ledger.read() as conn:
            require_profile(conn, profile)
            return ProfileSettings(profile, t.load_overages(conn, profile))

    def update_settings(
        self, profile: str, *, overages_enabled: bool, overage_cap: object = None
    ) -> ProfileSettings:
        """Turn overages on or off for the whole profile (R8); any cap is a ValidationError."""
        _check_settings(overages_enabled, overage_cap)
        with self._session(profile) as s:
            before = t.load_overages(s.conn, profile)
            if before != overages_enabled:
                t.store_overages(s.conn, profile, overages_enabled)
                s.record(
                    "settings",
                    "update",
                    profile,
                    {"overages_enabled": before},
                    {"overages_enabled": overages_enabled},
                )
                s.flush()
            return ProfileSettings(profile, overages_enabled)

    def bill(self, profile: str, month: str) -> Bill:
        """The profile's bill for ``month`` (YYYY-MM) under R9, lines by user name."""
        _, end = parse_month(month)
        with self._session(profile) as s:
            s.load_due()
            s.flush()
            names = {
                uid: row.user_name for uid, row in t.load_subscriptions(s.conn, profile).items()
            }
            charged = monthly_bill(t.timelines(s.conn, profile, end), month, self.prices)
        lines = [BillLine(uid, names.get(uid, uid), tier, usd) for uid, tier, usd in charged]
        return Bill(profile, month, tuple(sorted(lines, key=lambda x: (x.user_name, x.user_id))))

    # --- helpers ------------------------------------------------------------------------------

    @contextmanager
    def _session(
        self, profile: str, *, writable: bool = True, check_profile: bool = True
    ) -> Iterator[Session]:
        """A write transaction (or, not ``writable``, a read snapshot) and a Session over it:
        the profile checked first (unless the caller checks it), the clock read once, committed
        when the block ends, rolled back when it raises."""
        if not isinstance(profile, str):
            raise ValidationError(f"profile: {profile!r} is not a name", field="profile")
        now = as_utc(self.clock())
        with self.ledger.write() if writable else self.ledger.read() as conn:
            if check_profile:
                require_profile(conn, profile)
            yield Session(conn, profile, now, self.actor, writable=writable)

    def _describe(self, profile: str, view: Callable[[Session], _T]) -> _T:
        """Answer a read on a snapshot, which waits for no writer (WAL); if the snapshot has a
        due downgrade to store (R5), answer it again in a write transaction that stores it.
        A record found proves its profile exists (a foreign key), so the profile is checked only
        when the answer is empty: a refresh makes one statement fewer per resource."""
        try:
            with self._session(profile, writable=False, check_profile=False) as s:
                found = view(s)
                if not found:
                    require_profile(s.conn, profile)
                return found
        except WriteNeeded:
            with self._session(profile) as s:
                return view(s)

    def _require_record(self, s: Session, user_id: str) -> None:
        if user_id not in s.load({user_id}):
            raise NotFoundError(
                f"user: {user_id!r} has no subscription in profile {s.profile!r}", field="user"
            )


def _check_owner(owner: object) -> None:
    if owner is not None and (not isinstance(owner, str) or not owner.strip()):
        raise ValidationError(f"owner: {owner!r} is not a valid owner", field="owner")


def _check_settings(overages_enabled: object, overage_cap: object) -> None:
    if overage_cap is not None:
        raise ValidationError(
            f"overage_cap: {overage_cap!r} is not supported: custom overage caps are not "
            "supported by Kiro yet; leave overage_cap unset",
            field="overage_cap",
        )
    if not isinstance(overages_enabled, bool):
        raise ValidationError(
            f"overages_enabled: {overages_enabled!r} is not a boolean; expected true or false",
            field="overages_enabled",
        )


def _user_view(s: Session, user_id: str) -> UserSubscription:
    assignments = t.load_assignments(s.conn, s.profile, {user_id}).get(user_id, [])
    return _view(s.profile, s.rows[user_id], assignments)


def _view(
    profile: str, row: t.SubscriptionRow, assignments: Collection[Assignment]
) -> UserSubscription:
    state = row.state
    return UserSubscription(
        profile=profile,
        subscription_id=row.subscription_id,
        user=User(row.user_id, row.user_name),
        status=state.status,
        tier=highest([a.tier for a in assignments]) or state.effective_tier,
        effective_tier=state.effective_tier,
        pending_tier=state.pending_tier,
        pending_effective_at=state.pending_effective_at,
        assignments=tuple(assignments),
    )


def _group_view(s: Session, group: t.GroupRow) -> GroupSubscription:
    members = t.group_members(s.conn, s.profile, group.group_id).get(group.group_id, [])
    return _group_from(s.profile, group, members)


def _group_from(
    profile: str, group: t.GroupRow, members: Collection[tuple[str, str, Status, Tier]]
) -> GroupSubscription:
    return GroupSubscription(
        profile=profile,
        group=Group(group.group_id, group.group_name),
        tier=group.tier,
        owner=group.owner,
        members=tuple(GroupMember(*m) for m in members),
    )
