"""The ledger-held directory: users, groups and memberships stored in the ledger file.

It implements the ``Directory`` port for the embedded default and demos, plus the admin
operations ``kiroctl directory`` offers. Ids are uuid4 strings, like IAM Identity Center's.
"""

from __future__ import annotations

import sqlite3
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from kiro_provider.controlplane import Group, User
from kiro_provider.errors import ConflictError, NotFoundError, ValidationError
from kiro_provider.ledger import tables
from kiro_provider.ledger.store import Ledger
from kiro_provider.ledger.tables import Change, write_history

MAX_NAME_LENGTH = 128


def validate_name(value: object, field: str) -> str:
    """``value`` if it is a usable name: text, not blank, no control characters, at most 128
    characters; else ValidationError naming ``field`` and the value."""
    problem = _name_problem(value)
    if problem:
        raise ValidationError(f"{field}: {value!r} is not valid: {problem}", field=field)
    assert isinstance(value, str)
    return value


def _name_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "expected text"
    if not value.strip():
        return "must not be empty"
    if len(value) > MAX_NAME_LENGTH:
        return f"at most {MAX_NAME_LENGTH} characters (got {len(value)})"
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "must not contain control characters"
    return None


class LedgerDirectory:
    """Users, groups and memberships held in ``ledger``; every call is one transaction.

    ``actor`` and ``clock`` are what the history records as who and when for admin operations.
    """

    def __init__(
        self, ledger: Ledger, actor: str = "kiroctl", clock: Callable[[], datetime] | None = None
    ) -> None:
        self.ledger = ledger
        self.actor = actor
        self.clock = clock

    def _now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(timezone.utc)

    # --- the Directory port -------------------------------------------------------------------

    def find_user(self, ref: str) -> User:
        """The user whose user id, user name or email is ``ref`` (tried in that order)."""
        return _find_user(self.ledger.statement(), ref)

    def get_user(self, user_id: str) -> User:
        """The user with this canonical id; NotFoundError otherwise."""
        with self.ledger.read() as conn:
            user = tables.user_where(conn, "user_id", user_id)
        if user is None:
            raise NotFoundError(f"user: no user has id {user_id!r}", field="user")
        return user

    def find_group(self, ref: str) -> Group:
        """The group whose group id or display name is ``ref``."""
        with self.ledger.read() as conn:
            return _find_group(conn, ref)

    def get_group(self, group_id: str) -> Group:
        """The group with this canonical id; NotFoundError otherwise."""
        with self.ledger.read() as conn:
            group = tables.group_where(conn, "group_id", group_id)
        if group is None:
            raise NotFoundError(f"group: no group has id {group_id!r}", field="group")
        return group

    def members(self, group_id: str) -> tuple[User, ...]:
        """The group's current members, ordered by user name; NotFoundError for no such group."""
        with self.ledger.read() as conn:
            if tables.group_where(conn, "group_id", group_id) is None:
                raise NotFoundError(f"group: no group has id {group_id!r}", field="group")
            return tables.members(conn, group_id)

    # --- admin operations (kiroctl directory ...) ---------------------------------------------

    def add_user(self, name: str, email: str | None = None) -> User:
        """Add a user; ConflictError when the user name or email is taken."""
        return self.add_users([(name, email)])[0]

    def add_users(self, users: Sequence[tuple[str, str | None]]) -> list[User]:
        """Add several users ``(name, email)`` in one transaction (all or none)."""
        new = [_new_user(name, email) for name, email in users]
        with self.ledger.write() as conn:
            for user in new:
                _insert_user(conn, user)
            write_history(conn, self.actor, None, [_user_change(u, self._now()) for u in new])
        return new

    def add_group(self, name: str, members: Sequence[str] = ()) -> Group:
        """Add a group with the users ``members`` refers to (ids, user names or emails)."""
        group = Group(str(uuid.uuid4()), validate_name(name, "group_name"))
        with self.ledger.write() as conn:
            users = [_find_user(conn, ref) for ref in members]
            if tables.group_where(conn, "group_name", name) is not None:
                raise ConflictError(f"group_name: a group named {name!r} exists", field="group")
            tables.insert_group(conn, group)
            tables.add_memberships(conn, group.group_id, [u.user_id for u in users])
            now = self._now()
            changes = [Change(now, "group", "create", group.group_id, None, {"group_name": name})]
            changes += [_membership_change(group, u, "add", now) for u in dict.fromkeys(users)]
            write_history(conn, self.actor, None, changes)
        return group

    def add_member(self, group_ref: str, user_ref: str) -> None:
        """Make the user a member of the group (already a member: nothing changes)."""
        with self.ledger.write() as conn:
            group, user = _find_group(conn, group_ref), _find_user(conn, user_ref)
            if tables.add_memberships(conn, group.group_id, [user.user_id]):
                write_history(
                    conn, self.actor, None, [_membership_change(group, user, "add", self._now())]
                )

    def remove_member(self, group_ref: str, user_ref: str) -> None:
        """Remove the user from the group; NotFoundError when they are not a member."""
        with self.ledger.write() as conn:
            group, user = _find_group(conn, group_ref), _find_user(conn, user_ref)
            if not tables.remove_membership(conn, group.group_id, user.user_id):
                raise NotFoundError(
                    f"user: {user.user_name!r} is not a member of group {group.group_name!r}",
                    field="user",
                )
            write_history(
                conn, self.actor, None, [_membership_change(group, user, "remove", self._now())]
            )


def _new_user(name: str, email: str | None) -> User:
    validate_name(name, "user_name")
    if email is not None:
        validate_name(email, "email")
    return User(str(uuid.uuid4()), name, email)


def _insert_user(conn: sqlite3.Connection, user: User) -> None:
    if tables.user_where(conn, "user_name", user.user_name) is not None:
        raise ConflictError(f"user_name: a user named {user.user_name!r} exists", field="user")
    if user.email is not None and tables.user_where(conn, "email", user.email) is not None:
        raise ConflictError(f"email: a user with email {user.email!r} exists", field="email")
    tables.insert_user(conn, user)


def _find_user(conn: sqlite3.Connection, ref: str) -> User:
    user = tables.find_user(conn, ref)
    if user is not None:
        return user
    raise NotFoundError(
        f"user: no user has id, user name or email {ref!r}; add one with "
        "`kiroctl directory add-user`",
        field="user",
    )


def _find_group(conn: sqlite3.Connection, ref: str) -> Group:
    for column in ("group_id", "group_name"):
        group = tables.group_where(conn, column, ref)
        if group is not None:
            return group
    raise NotFoundError(
        f"group: no group has id or name {ref!r}; add one with `kiroctl directory add-group`",
        field="group",
    )


def _user_change(user: User, now: datetime) -> Change:
    after = {"user_name": user.user_name, "email": user.email}
    return Change(now, "user", "create", user.user_id, None, after)


def _membership_change(group: Group, user: User, action: str, now: datetime) -> Change:
    data = {"group_id": group.group_id, "user_id": user.user_id}
    before, after = (None, data) if action == "add" else (data, None)
    return Change(now, "membership", action, f"{group.group_id}/{user.user_id}", before, after)
