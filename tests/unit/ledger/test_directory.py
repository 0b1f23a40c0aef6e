"""The ledger-held directory: lookups by id, name and email; admin operations."""

from __future__ import annotations

import re

import pytest

from kiro_provider.controlplane import User
from kiro_provider.errors import ConflictError, NotFoundError, ValidationError
from kiro_provider.ledger import Ledger, LedgerDirectory

from .support import rows

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_users_are_found_by_id_name_or_email(directory: LedgerDirectory) -> None:
    alice = directory.add_user("alice", "alice@example.com")
    assert UUID.fullmatch(alice.user_id)
    for ref in (alice.user_id, "alice", "alice@example.com"):
        assert directory.find_user(ref) == alice
    assert directory.get_user(alice.user_id) == alice
    with pytest.raises(NotFoundError, match=r"'alice'"):
        directory.get_user("alice")  # get_user takes canonical ids only


def test_groups_are_found_by_id_or_name_and_list_members_by_name(
    directory: LedgerDirectory, users: dict[str, User]
) -> None:
    group = directory.add_group("eng", ["carol", "alice@example.com", users["bob"].user_id])
    assert UUID.fullmatch(group.group_id)
    assert directory.find_group("eng") == directory.find_group(group.group_id) == group
    assert [u.user_name for u in directory.members(group.group_id)] == ["alice", "bob", "carol"]


def test_membership_changes(directory: LedgerDirectory, users: dict[str, User]) -> None:
    group = directory.add_group("eng")
    directory.add_member("eng", "alice")
    directory.add_member("eng", "alice")  # already a member: nothing changes
    directory.add_member(group.group_id, "bob")
    directory.remove_member("eng", "alice")
    assert [u.user_name for u in directory.members(group.group_id)] == ["bob"]
    with pytest.raises(NotFoundError, match=r"'alice' is not a member of group 'eng'"):
        directory.remove_member("eng", "alice")


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [
        ("", None, "user_name"),
        ("   ", None, "user_name"),
        ("a\x00b", None, "user_name"),
        ("tab\there", None, "user_name"),
        ("x" * 129, None, "user_name"),
        ("ok", "bad\nmail", "email"),
    ],
)
def test_invalid_names_name_the_field_and_value(
    directory: LedgerDirectory, name: str, email: str | None, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        directory.add_user(name, email)
    assert err.value.message.startswith(f"{field}: ")
    assert repr(email if field == "email" else name) in err.value.message


def test_a_128_character_name_is_fine(directory: LedgerDirectory) -> None:
    assert directory.add_user("x" * 128).user_name == "x" * 128


def test_duplicates_are_conflicts_and_change_nothing(
    ledger: Ledger, directory: LedgerDirectory, users: dict[str, User]
) -> None:
    before = _count(ledger, "users"), _count(ledger, "history")
    with pytest.raises(ConflictError, match=r"alice"):
        directory.add_user("alice")
    with pytest.raises(ConflictError, match=r"bob@example.com"):
        directory.add_user("robert", "bob@example.com")
    with pytest.raises(ConflictError, match=r"'dave'"):
        directory.add_users([("dave", None), ("dave", None)])  # all or nothing
    directory.add_group("eng")
    with pytest.raises(ConflictError, match=r"eng"):
        directory.add_group("eng")
    with pytest.raises(NotFoundError, match=r"nobody"):
        directory.add_group("new", ["alice", "nobody"])
    assert (_count(ledger, "users"), _count(ledger, "history")) == (before[0], before[1] + 1)
    with pytest.raises(NotFoundError):
        directory.find_group("new")


def test_unknown_references(directory: LedgerDirectory) -> None:
    with pytest.raises(NotFoundError, match=r"user: .*'ghost'"):
        directory.find_user("ghost")
    with pytest.raises(NotFoundError, match=r"group: .*'ghosts'"):
        directory.find_group("ghosts")
    with pytest.raises(NotFoundError, match=r"group"):
        directory.members("no-such-id")


def test_directory_changes_are_in_the_history(
    ledger: Ledger, directory: LedgerDirectory, users: dict[str, User]
) -> None:
    directory.add_group("eng", ["alice"])
    directory.remove_member("eng", "alice")
    found = rows(ledger, "SELECT entity, action FROM history WHERE entity != 'profile'")
    assert found == [("user", "create")] * 3 + [
        ("group", "create"),
        ("membership", "add"),
        ("membership", "remove"),
    ]


def _count(ledger: Ledger, table: str) -> int:
    return int(rows(ledger, f"SELECT count(*) FROM {table}")[0][0])


def test_a_reference_matches_ids_then_user_names_then_emails(directory: LedgerDirectory) -> None:
    # One statement tries the three columns: each may hold another user's value.
    alice = directory.add_user("alice", "shared@example.com")
    named_like_the_email = directory.add_user("shared@example.com")
    named_like_the_id = directory.add_user(alice.user_id)
    assert directory.find_user("shared@example.com") == named_like_the_email
    assert directory.find_user(alice.user_id) == alice
    assert directory.find_user(named_like_the_id.user_id) == named_like_the_id
