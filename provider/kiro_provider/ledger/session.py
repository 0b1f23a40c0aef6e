"""One operation's unit of work inside one write transaction: load, R5, reconcile, store.

The session never decides a rule: it loads records, hands them to the domain
(``apply_due_downgrade``, ``reconcile``, ``activate``), and stores what comes back with a
history entry per change. It lives for one transaction and is never kept on an object.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from kiro_provider.controlplane import Assignment
from kiro_provider.domain.subscription import SubscriptionState, apply_due_downgrade, reconcile
from kiro_provider.domain.tiers import Status, highest
from kiro_provider.ledger.store import SYSTEM_ACTOR
from kiro_provider.ledger.tables import (
    Change,
    SubscriptionRow,
    assignment_json,
    load_assignments,
    load_due,
    load_subscriptions,
    state_json,
    store_subscriptions,
    write_history,
)


class WriteNeeded(Exception):
    """A session over a read snapshot found something to store (a due downgrade, R5): the
    operation must run again in a write transaction."""


class Session:
    """Loaded subscription rows of one profile, the changes made to them, and the history.

    A read-only session (over a read snapshot) refuses to flush changes with ``WriteNeeded``.
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
        self.rows: dict[str, SubscriptionRow] = {}
        self._dirty: set[str] = set()
        self._changes: list[Change] = []

    def load(self, user_ids: Collection[str]) -> dict[str, SubscriptionRow]:
        """Load the users' rows (those that exist) and apply their due downgrades (R5)."""
        self._take(load_subscriptions(self.conn, self.profile, user_ids))
        return self.rows

    def load_due(self) -> None:
        """Apply every due downgrade of the profile (R5), before a profile-wide read."""
        self._take(load_due(self.conn, self.profile, self.now))

    def _take(self, rows: Mapping[str, SubscriptionRow]) -> None:
        for user_id, row in rows.items():
            if user_id in self.rows:  # already loaded (and brought up to date) by this session
                continue
            state, applied_at = apply_due_downgrade(row.state, self.now)
            self.rows[user_id] = row
            if applied_at is not None:
                change = (row.state, state, applied_at, "apply-downgrade", SYSTEM_ACTOR)
                self._set_state(user_id, *change)

    def record(
        self,
        entity: str,
        action: str,
        subject: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        """Add a history entry for a change made now by the operation's actor."""
        self._changes.append(Change(self.now, entity, action, subject, before, after))

    def assignment_changed(
        self, user_id: str, before: Assignment | None, after: Assignment | None
    ) -> None:
        """Record that one assignment of the user was created, changed or removed."""
        action = "assign" if before is None else "unassign" if after is None else "reassign"
        self.record("assignment", action, user_id, assignment_json(before), assignment_json(after))

    def reconcile(self, names: Mapping[str, str | None]) -> None:
        """Bring each user's record in line with their assignments (R1/R3/R4/R6).

        ``names`` maps each affected user id to its current user name (None: keep the
        snapshot; only users who already have a record may be given None).
        """
        targets = _targets(load_assignments(self.conn, self.profile, names.keys()))
        for user_id in sorted(names):  # a stable history order, whatever the caller's order
            name = names[user_id]
            row = self.rows.get(user_id)
            before = row.state if row else None
            after = reconcile(before, targets.get(user_id), self.now)
            if after is None:
                continue
            if row is None:
                self._new_row(user_id, name or user_id, after)
            elif name is not None and name != row.user_name:
                self.rows[user_id] = replace(row, user_name=name)
                self._dirty.add(user_id)
            if after != before:
                self._set_state(user_id, before, after, self.now, _action(before, after), None)

    def set_state(self, user_id: str, state: SubscriptionState) -> None:
        """Store a state the domain computed for a loaded user (e.g. after ``activate``)."""
        before = self.rows[user_id].state
        if state != before:
            self._set_state(user_id, before, state, self.now, _action(before, state), None)

    def _new_row(self, user_id: str, name: str, state: SubscriptionState) -> None:
        self.rows[user_id] = SubscriptionRow(user_id, str(uuid.uuid4()), name, state)

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
        self._dirty.add(user_id)
        change = Change(
            at, "subscription", action, user_id, state_json(before), state_json(after), actor
        )
        self._changes.append(change)

    def flush(self) -> None:
        """Store the changed rows and write the history (still inside the transaction)."""
        if not self._dirty and not self._changes:
            return
        if not self.writable:
            raise WriteNeeded
        store_subscriptions(self.conn, self.profile, [self.rows[u] for u in sorted(self._dirty)])
        write_history(self.conn, self.actor, self.profile, self._changes)
        self._dirty.clear()
        self._changes.clear()


def _targets(assignments: Mapping[str, list[Assignment]]) -> dict[str, Any]:
    """Each user's target tier: the highest over their assignments."""
    return {uid: highest([a.tier for a in items]) for uid, items in assignments.items()}


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
