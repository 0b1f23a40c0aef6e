"""Row-level access to the ledger's tables: load and store typed records, write history.

Every function takes an open connection inside the caller's transaction and never commits.
Sets of ids travel as one JSON array parameter (``json_each``), so a 10,000-member group costs
one statement, not 10,000.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiro_provider.controlplane import Assignment
from kiro_provider.domain.subscription import SubscriptionState
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.ledger.store import from_text, to_text

_IDS = "SELECT value FROM json_each(?)"


@dataclass(frozen=True)
class SubscriptionRow:
    """One row of ``subscriptions``: the domain state plus identity snapshots."""

    user_id: str
    subscription_id: str
    user_name: str
    state: SubscriptionState


@dataclass(frozen=True)
class Change:
    """One history entry before it is written (the actor is added when writing)."""

    at: datetime
    entity: str
    action: str
    subject: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    #: Who made it, when not the operation's actor (a schedule applying itself: R5).
    actor: str | None = None


@dataclass(frozen=True)
class GroupRow:
    """One row of ``group_assignments``."""

    group_id: str
    group_name: str
    tier: Tier
    owner: str | None


def ids_param(ids: Iterable[str]) -> str:
    """A set of ids as the JSON array parameter that ``json_each`` reads."""
    return json.dumps(sorted(ids))


# --- subscriptions ----------------------------------------------------------------------------


def state_json(state: SubscriptionState | None) -> dict[str, Any] | None:
    """The state as the JSON object history stores (None for no record)."""
    if state is None:
        return None
    at = state.pending_effective_at
    return {
        "status": state.status.value,
        "effective_tier": state.effective_tier.value,
        "pending_tier": state.pending_tier.value if state.pending_tier else None,
        "pending_effective_at": to_text(at) if at else None,
    }


def state_from_json(data: Mapping[str, Any]) -> SubscriptionState:
    """The state that ``state_json`` wrote."""
    return _state(
        data["status"], data["effective_tier"], data["pending_tier"], data["pending_effective_at"]
    )


def _state(
    status: str, effective: str, pending: str | None, pending_at: str | None
) -> SubscriptionState:
    return SubscriptionState(
        status=Status(status),
        effective_tier=Tier(effective),
        pending_tier=Tier(pending) if pending else None,
        pending_effective_at=from_text(pending_at) if pending_at else None,
    )


_SUB_COLUMNS = (
    "user_id, subscription_id, user_name, status, effective_tier, pending_tier, "
    "pending_effective_at"
)


def _subscription_row(row: tuple[Any, ...]) -> SubscriptionRow:
    return SubscriptionRow(row[0], row[1], row[2], _state(*row[3:7]))


def load_user(
    conn: sqlite3.Connection, profile: str, user_id: str
) -> tuple[SubscriptionRow, list[Assignment]] | None:
    """One user's row and assignments (direct first, then by group id), or None without a row:
    one statement, so a consistent snapshot even outside a transaction."""
    columns = ", ".join(f"s.{column}" for column in _SUB_COLUMNS.split(", "))
    rows = conn.execute(
        f"SELECT {columns}, a.group_id, a.tier, a.owner FROM subscriptions s"
        " LEFT JOIN assignments a ON a.profile = s.profile AND a.user_id = s.user_id"
        " WHERE s.profile = ? AND s.user_id = ? ORDER BY a.group_id IS NOT NULL, a.group_id",
        (profile, user_id),
    ).fetchall()
    if not rows:
        return None
    assignments = [Assignment(group, Tier(tier), owner) for *_, group, tier, owner in rows if tier]
    return _subscription_row(rows[0]), assignments


def load_subscriptions(
    conn: sqlite3.Connection, profile: str, user_ids: Collection[str] | None = None
) -> dict[str, SubscriptionRow]:
    """The profile's subscription rows by user id: those of ``user_ids``, or all."""
    sql = f"SELECT {_SUB_COLUMNS} FROM subscriptions WHERE profile = ?"
    params: tuple[str, ...] = (profile,)
    if user_ids is not None:
        sql += f" AND user_id IN ({_IDS})"
        params += (ids_param(user_ids),)
    return {row[0]: _subscription_row(row) for row in conn.execute(sql, params)}


def load_due(conn: sqlite3.Connection, profile: str, now: datetime) -> dict[str, SubscriptionRow]:
    """The profile's rows whose scheduled downgrade is due at ``now`` (R5)."""
    sql = (
        f"SELECT {_SUB_COLUMNS} FROM subscriptions"
        " WHERE profile = ? AND pending_effective_at IS NOT NULL AND pending_effective_at <= ?"
    )
    return {row[0]: _subscription_row(row) for row in conn.execute(sql, (profile, to_text(now)))}


def store_subscriptions(
    conn: sqlite3.Connection, profile: str, rows: Iterable[SubscriptionRow]
) -> None:
    """Insert or replace the rows (keeping each record's subscription id once assigned)."""
    conn.executemany(
        "INSERT INTO subscriptions (profile, user_id, subscription_id, user_name, status,"
        " effective_tier, pending_tier, pending_effective_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (profile, user_id) DO UPDATE SET user_name = excluded.user_name,"
        " status = excluded.status, effective_tier = excluded.effective_tier,"
        " pending_tier = excluded.pending_tier,"
        " pending_effective_at = excluded.pending_effective_at",
        [_subscription_params(profile, row) for row in rows],
    )


def _subscription_params(profile: str, row: SubscriptionRow) -> tuple[Any, ...]:
    data = state_json(row.state)
    assert data is not None
    return (
        profile,
        row.user_id,
        row.subscription_id,
        row.user_name,
        data["status"],
        data["effective_tier"],
        data["pending_tier"],
        data["pending_effective_at"],
    )


# --- assignments ------------------------------------------------------------------------------


def assignment_json(assignment: Assignment | None) -> dict[str, Any] | None:
    """The assignment as the JSON object history stores."""
    if assignment is None:
        return None
    return {
        "group_id": assignment.group_id,
        "tier": assignment.tier.value,
        "owner": assignment.owner,
    }


def load_assignments(
    conn: sqlite3.Connection, profile: str, user_ids: Collection[str] | None = None
) -> dict[str, list[Assignment]]:
    """Assignments by user id (direct first, then by group id): of ``user_ids``, or all."""
    sql = "SELECT user_id, group_id, tier, owner FROM assignments WHERE profile = ?"
    params: tuple[str, ...] = (profile,)
    if user_ids is not None:
        sql += f" AND user_id IN ({_IDS})"
        params += (ids_param(user_ids),)
    sql += " ORDER BY user_id, group_id IS NOT NULL, group_id"
    result: dict[str, list[Assignment]] = {}
    for user_id, group_id, tier, owner in conn.execute(sql, params):
        result.setdefault(user_id, []).append(Assignment(group_id, Tier(tier), owner))
    return result


def direct_assignment(conn: sqlite3.Connection, profile: str, user_id: str) -> Assignment | None:
    """The user's direct assignment, if any."""
    row = conn.execute(
        "SELECT tier, owner FROM assignments"
        " WHERE profile = ? AND user_id = ? AND group_id IS NULL",
        (profile, user_id),
    ).fetchone()
    return Assignment(None, Tier(row[0]), row[1]) if row else None


def set_direct_assignment(
    conn: sqlite3.Connection, profile: str, user_id: str, assignment: Assignment | None
) -> None:
    """Create, change or (with None) remove the user's direct assignment."""
    conn.execute(
        "DELETE FROM assignments WHERE profile = ? AND user_id = ? AND group_id IS NULL",
        (profile, user_id),
    )
    if assignment is not None:
        conn.execute(
            "INSERT INTO assignments (profile, user_id, group_id, tier, owner)"
            " VALUES (?, ?, NULL, ?, ?)",
            (profile, user_id, assignment.tier.value, assignment.owner),
        )


def group_assignments_by_user(
    conn: sqlite3.Connection, profile: str, group_id: str
) -> dict[str, Assignment]:
    """The assignments that come through ``group_id``, by user id."""
    rows = conn.execute(
        "SELECT user_id, tier, owner FROM assignments WHERE profile = ? AND group_id = ?",
        (profile, group_id),
    )
    return {user_id: Assignment(group_id, Tier(tier), owner) for user_id, tier, owner in rows}


def put_group_member_assignments(
    conn: sqlite3.Connection, profile: str, group_id: str, assignments: Mapping[str, Assignment]
) -> None:
    """Create or change the group's assignment for each user id in ``assignments``."""
    conn.executemany(
        "INSERT INTO assignments (profile, user_id, group_id, tier, owner) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (profile, group_id, user_id) WHERE group_id IS NOT NULL"
        " DO UPDATE SET tier = excluded.tier, owner = excluded.owner",
        [(profile, uid, group_id, a.tier.value, a.owner) for uid, a in assignments.items()],
    )


def delete_group_member_assignments(
    conn: sqlite3.Connection, profile: str, group_id: str, user_ids: Collection[str]
) -> None:
    """Remove the group's assignment of each of ``user_ids``."""
    conn.execute(
        f"DELETE FROM assignments WHERE profile = ? AND group_id = ? AND user_id IN ({_IDS})",
        (profile, group_id, ids_param(user_ids)),
    )


def delete_user_assignments(conn: sqlite3.Connection, profile: str, user_id: str) -> None:
    """Remove every assignment of the user, direct and through groups."""
    conn.execute("DELETE FROM assignments WHERE profile = ? AND user_id = ?", (profile, user_id))


# --- group assignments ------------------------------------------------------------------------


def load_group(conn: sqlite3.Connection, profile: str, group_id: str) -> GroupRow | None:
    """The group assignment of ``group_id`` in the profile, if any."""
    row = conn.execute(
        "SELECT group_id, group_name, tier, owner FROM group_assignments"
        " WHERE profile = ? AND group_id = ?",
        (profile, group_id),
    ).fetchone()
    return GroupRow(row[0], row[1], Tier(row[2]), row[3]) if row else None


def load_groups(conn: sqlite3.Connection, profile: str) -> list[GroupRow]:
    """Every group assignment of the profile, by group name."""
    rows = conn.execute(
        "SELECT group_id, group_name, tier, owner FROM group_assignments"
        " WHERE profile = ? ORDER BY group_name, group_id",
        (profile,),
    )
    return [GroupRow(r[0], r[1], Tier(r[2]), r[3]) for r in rows]


def store_group(conn: sqlite3.Connection, profile: str, group: GroupRow) -> None:
    """Create or change a group assignment."""
    conn.execute(
        "INSERT INTO group_assignments (profile, group_id, group_name, tier, owner)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (profile, group_id) DO UPDATE SET"
        " group_name = excluded.group_name, tier = excluded.tier, owner = excluded.owner",
        (profile, group.group_id, group.group_name, group.tier.value, group.owner),
    )


def delete_group(conn: sqlite3.Connection, profile: str, group_id: str) -> None:
    """Remove a group assignment (not the member assignments: see the caller)."""
    conn.execute(
        "DELETE FROM group_assignments WHERE profile = ? AND group_id = ?", (profile, group_id)
    )


def group_json(group: GroupRow | None) -> dict[str, Any] | None:
    """The group assignment as the JSON object history stores."""
    if group is None:
        return None
    return {"group_name": group.group_name, "tier": group.tier.value, "owner": group.owner}


def group_members(
    conn: sqlite3.Connection, profile: str, group_id: str | None = None
) -> dict[str, list[tuple[str, str, Status, Tier]]]:
    """By group id: ``(user_id, user_name, status, effective_tier)`` of each user holding an
    assignment through the group (of ``group_id``, or of every group), by user name."""
    sql = (
        "SELECT a.group_id, a.user_id, s.user_name, s.status, s.effective_tier"
        " FROM assignments a JOIN subscriptions s"
        " ON s.profile = a.profile AND s.user_id = a.user_id"
        " WHERE a.profile = ? AND a.group_id IS NOT NULL"
    )
    params: tuple[str, ...] = (profile,)
    if group_id is not None:
        sql += " AND a.group_id = ?"
        params += (group_id,)
    result: dict[str, list[tuple[str, str, Status, Tier]]] = {}
    for gid, uid, name, status, tier in conn.execute(sql + " ORDER BY s.user_name", params):
        result.setdefault(gid, []).append((uid, name, Status(status), Tier(tier)))
    return result


# --- settings ---------------------------------------------------------------------------------


def load_overages(conn: sqlite3.Connection, profile: str) -> bool:
    """Whether overages are enabled in the profile (False when never set: R8's default)."""
    row = conn.execute(
        "SELECT overages_enabled FROM settings WHERE profile = ?", (profile,)
    ).fetchone()
    return bool(row[0]) if row else False


def store_overages(conn: sqlite3.Connection, profile: str, enabled: bool) -> None:
    """Set whether overages are enabled in the profile."""
    conn.execute(
        "INSERT INTO settings (profile, overages_enabled) VALUES (?, ?)"
        " ON CONFLICT (profile) DO UPDATE SET overages_enabled = excluded.overages_enabled",
        (profile, int(enabled)),
    )


# --- history ----------------------------------------------------------------------------------


def write_history(
    conn: sqlite3.Connection, actor: str, profile: str | None, changes: Iterable[Change]
) -> None:
    """Append the changes to the history, attributed to ``actor``."""
    conn.executemany(
        "INSERT INTO history (at, actor, profile, entity, action, subject, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                to_text(c.at),
                c.actor or actor,
                profile,
                c.entity,
                c.action,
                c.subject,
                _json(c.before),
                _json(c.after),
            )
            for c in changes
        ],
    )


def _json(data: Mapping[str, Any] | None) -> str | None:
    return None if data is None else json.dumps(data, sort_keys=True)


def timelines(
    conn: sqlite3.Connection, profile: str, before: datetime
) -> dict[str, list[tuple[datetime, SubscriptionState]]]:
    """Each user's subscription states written before ``before``, in time order (R9's input).

    Entries that removed the record (``after`` NULL) end nothing: records are never deleted.
    """
    rows = conn.execute(
        "SELECT subject, at, after FROM history INDEXED BY history_timeline"
        " WHERE profile = ? AND entity = 'subscription' AND at < ? AND after IS NOT NULL"
        " ORDER BY subject, at, id",
        (profile, to_text(before)),
    )
    result: dict[str, list[tuple[datetime, SubscriptionState]]] = {}
    for subject, at, after in rows:
        result.setdefault(subject, []).append((from_text(at), state_from_json(json.loads(after))))
    return result
