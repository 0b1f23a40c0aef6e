"""One operation's unit of work inside one transaction: load once, apply the rules, write once.

A ``UnitOfWork`` loads the records an operation needs (each user's subscription row with all of
its assignments, in one statement), applies every due downgrade as it loads them (R5: the one
place it is decided), lets the operation change assignments, group assignments and settings in
memory, reconciles the affected users through the domain (``reconcile``), and at ``flush``
writes every change the same way: group assignments, assignments, subscription rows, settings
and one history entry per change, through tables.py. It never decides a rule of its own and
lives for one transaction.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from kiro_provider.controlplane import (
    Assignment,
    Group,
    GroupMember,
    GroupSubscription,
    User,
    UserSubscription,
)
from kiro_provider.domain.subscription import SubscriptionState, apply_due_downgrade, reconcile
from kiro_provider.domain.tiers import Status, highest
from kiro_provider.ledger import tables
from kiro_provider.ledger.store import SYSTEM_ACTOR
from kiro_provider.ledger.tables import Change, GroupRow, SubscriptionRow


class WriteNeeded(Exception):
    """A unit of work over a read snapshot found something to store (a due downgrade, R5): the
    operation must run again in a write transaction."""


class UnitOfWork:
    """The loaded records of one profile, the changes made to them, and their history.

    Over a read snapshot (``writable`` False), ``flush`` with anything to write raises
    ``WriteNeeded`` instead.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        profile: str,
        now: datetime,
        actor: str,
        *,
        writable: bool = True,
    ) -> None:
        self.conn = conn
        self.profile = profile
        self.now = now
        self.actor = actor
        self.writable = writable
        #: Subscription rows by user id, each brought up to date (R5) when loaded.
        self.rows: dict[str, SubscriptionRow] = {}
        #: Each loaded user's assignments by group id (None: the direct one).
        self._assignments: dict[str, dict[str | None, Assignment]] = {}
        self._dirty_rows: set[str] = set()
        self._assignment_writes: dict[tuple[str, str | None], Assignment | None] = {}
        self._group_writes: dict[str, GroupRow | None] = {}
        self._overages: bool | None = None
        self._changes: list[Change] = []

    # --- loading ------------------------------------------------------------------------------

    def load_users(self, user_ids: Collection[str]) -> Mapping[str, SubscriptionRow]:
        """Load the users' rows and assignments (those not loaded yet); the rows loaded so far."""
        missing = [uid for uid in user_ids if uid not in self._assignments]
        if missing:
            self._take(tables.load_users(self.conn, self.profile, missing))
            for uid in missing:  # no row yet: no assignment either (one comes with the other)
                self._assignments.setdefault(uid, {})
        return self.rows

    def load_all(self) -> Mapping[str, SubscriptionRow]:
        """Load every user of the profile."""
        self._take(tables.load_users(self.conn, self.profile))
        return self.rows

    def load_due(self) -> None:
        """Load every user whose downgrade is due, applying it (before a profile-wide read)."""
        self._take(tables.load_due(self.conn, self.profile, self.now))

    def _take(self, found: Mapping[str, tuple[SubscriptionRow, list[Assignment]]]) -> None:
        for user_id, (row, assignments) in found.items():
            if user_id in self.rows:  # loaded (and brought up to date) by this unit already
                continue
            self.rows[user_id] = row
            self._assignments[user_id] = {a.group_id: a for a in assignments}
            state, applied_at = apply_due_downgrade(row.state, self.now)
            if applied_at is not None:
                change = (row.state, state, applied_at, "apply-downgrade", SYSTEM_ACTOR)
                self._set_state(user_id, *change)

    # --- what the loaded users hold -----------------------------------------------------------

    def assignment(self, user_id: str, group_id: str | None = None) -> Assignment | None:
        """The user's assignment through ``group_id`` (None: the direct one), if any."""
        return self._assignments[user_id].get(group_id)

    def assignments(self, user_id: str) -> list[Assignment]:
        """The user's assignments, direct first, then by group id."""
        held = self._assignments.get(user_id, {})
        if len(held) < 2:
            return list(held.values())
        return [held[key] for key in sorted(held, key=lambda gid: (gid is not None, gid or ""))]

    def group_member_ids(self, group_id: str) -> set[str]:
        """The users holding an assignment through the group, as the ledger has them now."""
        return tables.group_member_ids(self.conn, self.profile, group_id)

    # --- changes ------------------------------------------------------------------------------

    def set_assignment(
        self, user_id: str, assignment: Assignment | None, group_id: str | None = None
    ) -> None:
        """Create, change or (None) remove the user's assignment through ``group_id`` (None:
        the direct one). The user must be loaded; reconcile them afterwards."""
        held = self._assignments[user_id]
        before = held.get(group_id)
        if assignment == before:
            return
        if assignment is None:
            del held[group_id]
        else:
            held[group_id] = assignment
        self._assignment_writes[(user_id, group_id)] = assignment
        action = "assign" if before is None else "unassign" if assignment is None else "reassign"
        self._record(
            "assignment",
            action,
            user_id,
            tables.assignment_json(before),
            tables.assignment_json(assignment),
        )

    def set_group(self, group_id: str, before: GroupRow | None, after: GroupRow | None) -> None:
        """Create, change or (None) remove the group assignment itself (its members'
        assignments are set one by one with ``set_assignment``)."""
        if after == before:
            return
        self._group_writes[group_id] = after
        action = "assign" if before is None else "unassign" if after is None else "reassign"
        self._record("group", action, group_id, tables.group_json(before), tables.group_json(after))

    def set_overages(self, before: bool, after: bool) -> None:
        """Turn the profile's overages on or off (R8)."""
        if after == before:
            return
        self._overages = after
        self._record(
            "settings",
            "update",
            self.profile,
            {"overages_enabled": before},
            {"overages_enabled": after},
        )

    def reconcile(self, names: Mapping[str, str | None]) -> None:
        """Bring each loaded user's record in line with their assignments (R1/R3/R4/R6).

        ``names`` maps each affected user id to its current user name (None: keep the
        snapshot; only users who already have a record may be given None).
        """
        for user_id in sorted(names):  # a stable history order, whatever the caller's order
            name = names[user_id]
            row = self.rows.get(user_id)
            before = row.state if row else None
            target = highest([a.tier for a in self._assignments[user_id].values()])
            after = reconcile(before, target, self.now)
            if after is None:
                continue
            if row is None:
                self.rows[user_id] = SubscriptionRow(
                    user_id, str(uuid.uuid4()), name or user_id, after
                )
                self._dirty_rows.add(user_id)
            elif name is not None and name != row.user_name:
                self.rows[user_id] = replace(row, user_name=name)
                self._dirty_rows.add(user_id)
            if after != before:
                self._set_state(user_id, before, after, self.now, _action(before, after), None)

    def set_state(self, user_id: str, state: SubscriptionState) -> None:
        """Store a state the domain computed for a loaded user (e.g. after ``activate``)."""
        before = self.rows[user_id].state
        if state != before:
            self._set_state(user_id, before, state, self.now, _action(before, state), None)

    def _set_state(
        self,
        user_id: str,
        before: SubscriptionState | None,
        after: SubscriptionState,
        at: datetime,
        action: str,
        actor: str | None,
    ) -> None:
        self.rows[user_id] = replace(self.rows[user_id], state=after)
        self._dirty_rows.add(user_id)
        self._changes.append(
            Change(
                at,
                "subscription",
                action,
                user_id,
                tables.state_json(before),
                tables.state_json(after),
                actor,
            )
        )

    def _record(
        self,
        entity: str,
        action: str,
        subject: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        self._changes.append(Change(self.now, entity, action, subject, before, after))

    # --- writing ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every change made so far, still inside the transaction."""
        if not self._changes and not self._dirty_rows:
            return
        if not self.writable:
            raise WriteNeeded
        for group_id, group in self._group_writes.items():
            tables.write_group(self.conn, self.profile, group_id, group)
        if self._assignment_writes:
            tables.write_assignments(self.conn, self.profile, self._assignment_writes)
        if self._dirty_rows:
            rows = [self.rows[uid] for uid in sorted(self._dirty_rows)]
            tables.store_subscriptions(self.conn, self.profile, rows)
        if self._overages is not None:
            tables.store_overages(self.conn, self.profile, self._overages)
        tables.write_history(self.conn, self.actor, self.profile, self._changes)
        self._group_writes.clear()
        self._assignment_writes.clear()
        self._dirty_rows.clear()
        self._overages = None
        self._changes.clear()

    # --- views --------------------------------------------------------------------------------

    def user_view(self, user_id: str) -> UserSubscription:
        """The loaded user's record as the ControlPlane protocol shows it."""
        row, assignments = self.rows[user_id], self.assignments(user_id)
        state = row.state
        return UserSubscription(
            profile=self.profile,
            subscription_id=row.subscription_id,
            user=User(row.user_id, row.user_name),
            status=state.status,
            tier=highest([a.tier for a in assignments]) or state.effective_tier,
            effective_tier=state.effective_tier,
            pending_tier=state.pending_tier,
            pending_effective_at=state.pending_effective_at,
            assignments=tuple(assignments),
        )

    def group_views(self, groups: Iterable[GroupRow]) -> list[GroupSubscription]:
        """The group assignments with their members as the ledger holds them (flush first)."""
        groups = list(groups)
        only = groups[0].group_id if len(groups) == 1 else None
        members = tables.group_members(self.conn, self.profile, only)
        return [
            GroupSubscription(
                profile=self.profile,
                group=Group(group.group_id, group.group_name),
                tier=group.tier,
                owner=group.owner,
                members=tuple(GroupMember(*m) for m in members.get(group.group_id, [])),
            )
            for group in groups
        ]


def _action(before: SubscriptionState | None, after: SubscriptionState) -> str:
    """A name for the change, for people reading the history."""
    if before is None or (not before.is_live and after.is_live):
        return "subscribe"
    if not after.is_live:
        return "cancel"
    if after.status is not before.status:
        return "activate" if after.status is Status.ACTIVE else "change-status"
    if after.effective_tier.rank > before.effective_tier.rank:
        return "upgrade"
    if after.pending_tier is not None:
        return "schedule-downgrade"
    return "drop-downgrade" if before.pending_tier is not None else "change"
