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
from datetime import datetime, timezone
from typing import Any

from kiro_provider.controlplane import Assignment, Group, User
from kiro_provider.domain.subscription import SubscriptionState
from kiro_provider.domain.tiers import Status, Tier

_IDS = "SELECT value FROM json_each(?)"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_text(at: datetime) -> str:
    """``at`` as fixed-width ISO-8601 UTC text, so that text order is time order.

    A naive datetime is taken to be UTC.
    """
    return as_utc(at).strftime(_TIME_FORMAT)


def from_text(text: str) -> datetime:
    """The aware UTC datetime that ``to_text`` wrote."""
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=timezone.utc)


def as_utc(at: datetime) -> datetime:
    """``at`` in UTC; a naive datetime is taken to be UTC already."""
    if at.tzinfo is None:
        return at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc)


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


# --- the file's schema version (store.py's migrations) -------------------------------------


def table_names(conn: sqlite3.Connection) -> set[str]:
    """The tables in the file (none: a new file)."""
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version the file records (0: none)."""
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def set_schema_version(conn: sqlite3.Connection, version: int) -> None:
    """Record the file's schema version."""
    conn.execute("DELETE FROM schema_version")
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))


# --- profiles ---------------------------------------------------------------------------------


def profile_names(conn: sqlite3.Connection) -> tuple[str, ...]:
    """Names of the profiles, sorted."""
    return tuple(row[0] for row in conn.execute("SELECT name FROM profiles ORDER BY name"))


def profile_exists(conn: sqlite3.Connection, profile: str) -> bool:
    """Whether the ledger holds profile ``profile``."""
    return conn.execute("SELECT 1 FROM profiles WHERE name = ?", (profile,)).fetchone() is not None


def insert_profile(conn: sqlite3.Connection, name: str, actor: str, now: datetime) -> None:
    """Add profile ``name`` unless it exists, with a history entry."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO profiles (name, created_at) VALUES (?, ?)", (name, to_text(now))
    )
    if cur.rowcount:
        write_history(
            conn, actor, name, [Change(now, "profile", "create", name, None, {"name": name})]
        )


# --- the ledger-held directory ----------------------------------------------------------------


def find_user(conn: sqlite3.Connection, ref: str) -> User | None:
    """The user whose user id, user name or email is ``ref`` (tried in that order)."""
    # One statement (each column is unique and indexed): every Subscription's check asks this.
    row = conn.execute(
        "SELECT user_id, user_name, email FROM ("
        " SELECT 0 AS rank, user_id, user_name, email FROM users WHERE user_id = ?1"
        " UNION ALL SELECT 1, user_id, user_name, email FROM users WHERE user_name = ?1"
        " UNION ALL SELECT 2, user_id, user_name, email FROM users WHERE email = ?1"
        ") ORDER BY rank LIMIT 1",
        (ref,),
    ).fetchone()
    return User(*row) if row else None


def user_where(conn: sqlite3.Connection, column: str, value: object) -> User | None:
    """The user whose ``column`` (``user_id``, ``user_name`` or ``email``) is ``value``."""
    if column not in ("user_id", "user_name", "email"):
        raise ValueError(f"not a unique column of users: {column!r}")
    row = conn.execute(
        f"SELECT user_id, user_name, email FROM users WHERE {column} = ?", (value,)
    ).fetchone()
    return User(*row) if row else None


def group_where(conn: sqlite3.Connection, column: str, value: object) -> Group | None:
    """The group whose ``column`` (``group_id`` or ``group_name``) is ``value``."""
    if column not in ("group_id", "group_name"):
        raise ValueError(f"not a unique column of groups: {column!r}")
    row = conn.execute(
        f"SELECT group_id, group_name FROM groups WHERE {column} = ?", (value,)
    ).fetchone()
    return Group(*row) if row else None


def members(conn: sqlite3.Connection, group_id: str) -> tuple[User, ...]:
    """The group's members, by user name."""
    rows = conn.execute(
        "SELECT u.user_id, u.user_name, u.email FROM memberships m"
        " JOIN users u ON u.user_id = m.user_id WHERE m.group_id = ?"
        " ORDER BY u.user_name",
        (group_id,),
    )
    return tuple(User(*row) for row in rows)


def insert_user(conn: sqlite3.Connection, user: User) -> None:
    """Add a user (its name and email checked free by the caller)."""
    conn.execute("INSERT INTO users VALUES (?, ?, ?)", (user.user_id, user.user_name, user.email))


def insert_group(conn: sqlite3.Connection, group: Group) -> None:
    """Add a group (its name checked free by the caller)."""
    conn.execute("INSERT INTO groups VALUES (?, ?)", (group.group_id, group.group_name))


def add_memberships(conn: sqlite3.Connection, group_id: str, user_ids: Iterable[str]) -> int:
    """Make the users members of the group; how many were not members yet."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO memberships VALUES (?, ?)", [(group_id, uid) for uid in user_ids]
    )
    return conn.total_changes - before


def remove_membership(conn: sqlite3.Connection, group_id: str, user_id: str) -> bool:
    """Remove the user from the group; whether they were a member."""
    cur = conn.execute(
        "DELETE FROM memberships WHERE group_id = ? AND user_id = ?", (group_id, user_id)
    )
    return cur.rowcount > 0


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


def load_users(
    conn: sqlite3.Connection, profile: str, user_ids: Collection[str] | None = None
) -> dict[str, tuple[SubscriptionRow, list[Assignment]]]:
    """Rows with their assignments (direct first, then by group id), by user id: of
    ``user_ids``, or every user of the profile. One statement, so a consistent snapshot even
    outside a transaction."""
    if user_ids is None:
        return _with_assignments(conn, "", (profile,))
    if len(user_ids) == 1:  # a refresh reads one user per resource: the plainest statement
        return _with_assignments(conn, " AND s.user_id = ?", (profile, *user_ids))
    return _with_assignments(conn, f" AND s.user_id IN ({_IDS})", (profile, ids_param(user_ids)))


def load_due(
    conn: sqlite3.Connection, profile: str, now: datetime
) -> dict[str, tuple[SubscriptionRow, list[Assignment]]]:
    """The rows (with their assignments) whose scheduled downgrade is due at ``now`` (R5)."""
    where = " AND s.pending_effective_at IS NOT NULL AND s.pending_effective_at <= ?"
    return _with_assignments(conn, where, (profile, to_text(now)))


_JOINED_COLUMNS = ", ".join(f"s.{column}" for column in _SUB_COLUMNS.split(", "))


def _with_assignments(
    conn: sqlite3.Connection, where: str, params: tuple[str, ...]
) -> dict[str, tuple[SubscriptionRow, list[Assignment]]]:
    rows = conn.execute(
        f"SELECT {_JOINED_COLUMNS}, a.group_id, a.tier, a.owner FROM subscriptions s"
        " LEFT JOIN assignments a ON a.profile = s.profile AND a.user_id = s.user_id"
        f" WHERE s.profile = ?{where}"
        " ORDER BY s.user_id, a.group_id IS NOT NULL, a.group_id",
        params,
    )
    result: dict[str, tuple[SubscriptionRow, list[Assignment]]] = {}
    for row in rows:
        found = result.get(row[0])
        if found is None:
            found = result[row[0]] = (_subscription_row(row), [])
        group_id, tier, owner = row[7:10]
        if tier:
            found[1].append(Assignment(group_id, Tier(tier), owner))
    return result


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


def group_member_ids(conn: sqlite3.Connection, profile: str, group_id: str) -> set[str]:
    """The users holding an assignment through ``group_id``."""
    rows = conn.execute(
        "SELECT user_id FROM assignments WHERE profile = ? AND group_id = ?", (profile, group_id)
    )
    return {row[0] for row in rows}


def write_assignments(
    conn: sqlite3.Connection,
    profile: str,
    writes: Mapping[tuple[str, str | None], Assignment | None],
) -> None:
    """Set each ``(user_id, group_id)`` assignment (group id None: direct) to its value, or
    remove it (None): the old ones deleted, the new ones inserted, two statements in all."""
    conn.executemany(
        "DELETE FROM assignments WHERE profile = ? AND user_id = ? AND group_id IS ?",
        [(profile, user_id, group_id) for user_id, group_id in writes],
    )
    conn.executemany(
        "INSERT INTO assignments (profile, user_id, group_id, tier, owner) VALUES (?, ?, ?, ?, ?)",
        [
            (profile, user_id, group_id, a.tier.value, a.owner)
            for (user_id, group_id), a in writes.items()
            if a is not None
        ],
    )


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


def write_group(
    conn: sqlite3.Connection, profile: str, group_id: str, group: GroupRow | None
) -> None:
    """Create or change a group assignment, or remove it (None; not the member assignments:
    those are written with ``write_assignments``)."""
    if group is None:
        conn.execute(
            "DELETE FROM group_assignments WHERE profile = ? AND group_id = ?", (profile, group_id)
        )
        return
    conn.execute(
        "INSERT INTO group_assignments (profile, group_id, group_name, tier, owner)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (profile, group_id) DO UPDATE SET"
        " group_name = excluded.group_name, tier = excluded.tier, owner = excluded.owner",
        (profile, group.group_id, group.group_name, group.tier.value, group.owner),
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
