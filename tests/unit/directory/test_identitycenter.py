"""IdentityCenterDirectory against moto's in-process IAM Identity Center.

One moto store is seeded per module (160 users, 110 groups, a 150-member group): seeding is
the slow part, and every test reads only. Each test starts with empty caches and a fresh
client, and counts the API calls it causes through botocore's ``before-call`` events.
"""

from __future__ import annotations

import json
import pickle
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import dill
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws

from kiro_provider.controlplane import Group, User
from kiro_provider.directory import identitycenter
from kiro_provider.directory.base import Directory
from kiro_provider.directory.identitycenter import (
    DESCRIBE_LIMIT,
    IDENTITY_STORE_ACTIONS,
    PAGE_SIZE,
    IdentityCenterDirectory,
    clear_cache,
    identitystore_client,
)
from kiro_provider.errors import DirectoryError, NotFoundError, ValidationError

REGION = "us-east-1"
STORE = "d-90675f1a2b"
N_USERS = 160
N_GROUPS = 110
BIG_MEMBERS = 150


@dataclass
class Seed:
    """What the module fixture created: users by name, groups by display name."""

    users: dict[str, User]
    groups: dict[str, Group]
    admin: Any  # a boto3 client of its own, so seeding mid-test is not counted


def _add_user(admin: Any, name: str, email: str) -> User:
    user_id = admin.create_user(
        IdentityStoreId=STORE,
        UserName=name,
        DisplayName=name,
        Name={"GivenName": name, "FamilyName": "Test"},
        Emails=[{"Value": "old-" + email}, {"Value": email, "Primary": True}],
    )["UserId"]
    return User(user_id=user_id, user_name=name, email=email)


def _add_group(admin: Any, name: str, members: list[User]) -> Group:
    group_id = admin.create_group(IdentityStoreId=STORE, DisplayName=name)["GroupId"]
    for user in members:
        admin.create_group_membership(
            IdentityStoreId=STORE, GroupId=group_id, MemberId={"UserId": user.user_id}
        )
    return Group(group_id=group_id, group_name=name)


@pytest.fixture(scope="module")
def seed() -> Iterator[Seed]:
    with mock_aws():
        admin = boto3.client("identitystore", region_name=REGION)
        # Created in reverse name order, so "ordered by user name" is not the insertion order.
        users = {
            f"user-{i:03d}": _add_user(admin, f"user-{i:03d}", f"u{i}@example.com")
            for i in reversed(range(N_USERS))
        }
        # A user name that looks like an email, different from the user's own email.
        users["carol@corp.example"] = _add_user(admin, "carol@corp.example", "c@example.com")
        ordered = [users[f"user-{i:03d}"] for i in range(N_USERS)]
        groups = {"big": _add_group(admin, "big", ordered[:BIG_MEMBERS])}
        groups["small"] = _add_group(admin, "small", ordered[150:153])
        groups["Platform Team"] = _add_group(admin, "Platform Team", ordered[:1])
        for i in range(N_GROUPS - len(groups)):
            groups[f"group-{i:03d}"] = _add_group(admin, f"group-{i:03d}", [])
        yield Seed(users=users, groups=groups, admin=admin)


@pytest.fixture
def directory(seed: Seed) -> Iterator[IdentityCenterDirectory]:
    clear_cache()
    yield IdentityCenterDirectory(STORE, REGION)
    clear_cache()


@pytest.fixture
def calls(directory: IdentityCenterDirectory) -> Counter[str]:
    """Operation name -> number of API calls the shared client made during the test."""
    counter: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counter[model.name] += 1

    identitystore_client(REGION).meta.events.register("before-call.identitystore", count)
    return counter


def _refuse(code: str, message: str, **extra: Any) -> Callable[..., Any]:
    """A before-call hook answering every call with the service error ``code``."""

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400},
            **extra,
        }
        return AWSResponse("https://identitystore", 400, {}, None), parsed

    return handler


# -- construction --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "store_id",
    [
        "",
        "   ",
        "d-123",
        "d-12345678901",
        "D-1234567890",
        "d_1234567890",
        "garbage",
        "arn:aws:sso:::instance/ssoins-1",
        "d-12345 7890",
        "1234567890",
    ],
)
def test_rejects_malformed_identity_store_ids(store_id: str) -> None:
    with pytest.raises(ValidationError) as caught:
        IdentityCenterDirectory(store_id, REGION)
    assert caught.value.field == "identity_store_id"
    assert repr(store_id) in str(caught.value)


def test_accepts_documented_and_moto_identity_store_ids(seed: Seed) -> None:
    moto_id = boto3.client("sso-admin", region_name=REGION).list_instances()["Instances"][0][
        "IdentityStoreId"
    ]
    for store_id in (
        "d-1234567890",
        "d-abcdef0123",
        moto_id,
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    ):
        assert IdentityCenterDirectory(store_id, REGION).identity_store_id == store_id


@pytest.mark.parametrize(
    ("region", "endpoint", "field"),
    [
        ("", None, "region"),
        ("US EAST", None, "region"),
        ("us-east-1", "localhost:5000", "endpoint_url"),
    ],
)
def test_rejects_bad_region_and_endpoint(region: str, endpoint: str | None, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        IdentityCenterDirectory(STORE, region, endpoint_url=endpoint)
    assert caught.value.field == field


def test_satisfies_the_directory_port(directory: IdentityCenterDirectory) -> None:
    port: Directory = directory
    assert port is directory


# -- users ---------------------------------------------------------------------------------


def test_finds_users_by_id_user_name_and_email(
    directory: IdentityCenterDirectory, seed: Seed
) -> None:
    alice = seed.users["user-042"]
    assert directory.find_user(alice.user_id) == alice
    assert directory.find_user("user-042") == alice
    assert directory.find_user("u42@example.com") == alice  # the primary email is reported
    assert directory.find_user("  user-042 ") == alice
    assert directory.get_user(alice.user_id) == alice


def test_user_name_wins_over_email_and_email_form_names_resolve(
    directory: IdentityCenterDirectory, seed: Seed
) -> None:
    carol = seed.users["carol@corp.example"]
    assert directory.find_user("carol@corp.example") == carol
    assert directory.find_user("c@example.com") == carol


@pytest.mark.parametrize(
    "ref", ["nobody", "nobody@example.com", "00000000-0000-4000-8000-000000000000"]
)
def test_unknown_user_is_not_found_naming_field_value_and_forms(
    directory: IdentityCenterDirectory, ref: str
) -> None:
    with pytest.raises(NotFoundError) as caught:
        directory.find_user(ref)
    assert caught.value.field == "user"
    assert repr(ref) in str(caught.value)
    assert "user id, user name or email" in str(caught.value)
    with pytest.raises(NotFoundError):
        directory.get_user(ref)


@pytest.mark.parametrize("method", ["find_user", "get_user", "find_group", "get_group", "members"])
def test_blank_refs_are_validation_errors_naming_the_field(
    directory: IdentityCenterDirectory, calls: Counter[str], method: str
) -> None:
    for ref in ("", " ", "\t\n"):
        with pytest.raises(ValidationError) as caught:
            getattr(directory, method)(ref)
        assert caught.value.field == ("user" if "user" in method else "group")
        assert repr(ref) in str(caught.value)
    assert not calls


# -- groups --------------------------------------------------------------------------------


def test_finds_groups_by_id_and_display_name(
    directory: IdentityCenterDirectory, seed: Seed
) -> None:
    team = seed.groups["Platform Team"]
    assert directory.find_group(team.group_id) == team
    assert directory.find_group("Platform Team") == team
    assert directory.get_group(team.group_id) == team


def test_resolves_more_than_a_hundred_groups(
    directory: IdentityCenterDirectory, seed: Seed
) -> None:
    assert len(seed.groups) > 100
    assert {name: directory.find_group(name) for name in seed.groups} == seed.groups


@pytest.mark.parametrize("ref", ["nope", "11111111-2222-4333-8444-555555555555"])
def test_unknown_group_is_not_found(directory: IdentityCenterDirectory, ref: str) -> None:
    for lookup in (directory.find_group, directory.get_group, directory.members):
        with pytest.raises(NotFoundError) as caught:
            lookup(ref)
        assert caught.value.field == "group"
        assert repr(ref) in str(caught.value)
        assert "group id or display name" in str(caught.value)


# -- memberships and pagination --------------------------------------------------------------


def test_big_group_reads_every_page_and_scans_users_instead_of_describing(
    directory: IdentityCenterDirectory, seed: Seed, calls: Counter[str]
) -> None:
    members = directory.members(seed.groups["big"].group_id)

    expected = sorted(
        (seed.users[f"user-{i:03d}"] for i in range(BIG_MEMBERS)), key=lambda u: u.user_name
    )
    assert list(members) == expected
    assert calls["ListGroupMemberships"] == 2  # 150 members, 100 a page
    assert calls["ListUsers"] >= 2  # more than one page of users was read
    assert calls["DescribeUser"] == 0


def test_small_group_describes_its_few_members(
    directory: IdentityCenterDirectory, seed: Seed, calls: Counter[str]
) -> None:
    members = directory.members(seed.groups["small"].group_id)

    assert [u.user_name for u in members] == ["user-150", "user-151", "user-152"]
    assert calls["DescribeUser"] == 3
    assert calls["ListUsers"] == 0


def test_known_members_cost_no_describe(
    directory: IdentityCenterDirectory, seed: Seed, calls: Counter[str]
) -> None:
    for i in (150, 151, 152):
        directory.find_user(f"user-{i:03d}")
    calls.clear()
    directory.members(seed.groups["small"].group_id)
    assert calls == Counter({"ListGroupMemberships": 1, "DescribeGroup": 1})


def test_many_small_groups_and_overlapping_big_ones_read_the_store_once(
    directory: IdentityCenterDirectory, seed: Seed, calls: Counter[str]
) -> None:
    """A refresh reads groups before anything else, in any order: small groups first describe
    their members, up to the limit of single lookups, and from then on every group, small or
    big, answers from one read of the store."""
    ordered = [seed.users[f"user-{i:03d}"] for i in range(N_USERS)]
    small = [
        _add_group(seed.admin, f"small-{k:02d}", ordered[k * 4 : k * 4 + 4]) for k in range(30)
    ]
    big = [_add_group(seed.admin, f"wide-{k}", ordered[k * 40 : k * 40 + 100]) for k in range(2)]
    for group in [*small, *big]:
        assert len(directory.members(group.group_id)) in (4, 100)
    assert calls["DescribeUser"] <= DESCRIBE_LIMIT + 4  # the group at the limit completes
    assert calls["ListUsers"] == -(-(N_USERS + 1) // PAGE_SIZE)  # every page, once


def test_small_page_size_still_returns_every_member(
    directory: IdentityCenterDirectory,
    seed: Seed,
    calls: Counter[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(identitycenter, "PAGE_SIZE", 7)
    members = directory.members(seed.groups["big"].group_id)
    assert len({u.user_id for u in members}) == BIG_MEMBERS
    assert calls["ListGroupMemberships"] == 22  # ceil(150 / 7)


# -- caching -------------------------------------------------------------------------------


def test_second_lookup_makes_no_call(
    directory: IdentityCenterDirectory, seed: Seed, calls: Counter[str]
) -> None:
    user, group = seed.users["user-007"], seed.groups["group-007"]
    for ref in ("user-007", "u7@example.com", user.user_id):
        directory.find_user(ref)
    directory.find_group("group-007")
    first = sum(calls.values())
    assert first > 0

    other = IdentityCenterDirectory(STORE, REGION)  # a second instance shares the cache
    for ref in ("user-007", "u7@example.com", user.user_id):
        assert other.find_user(ref) == user
    assert other.find_group("group-007") == group
    assert other.get_group(group.group_id) == group
    assert sum(calls.values()) == first


def test_a_group_found_by_its_name_needs_no_describe(
    directory: IdentityCenterDirectory, seed: Seed, calls: Counter[str]
) -> None:
    assert directory.find_group("group-008") == seed.groups["group-008"]
    assert calls == Counter({"GetGroupId": 1})


def test_members_are_cached_briefly_then_reread(
    directory: IdentityCenterDirectory,
    seed: Seed,
    calls: Counter[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(identitycenter, "_clock", lambda: now[0])
    group = seed.groups["small"]
    before = directory.members(group.group_id)
    joiner = seed.users["user-159"]
    membership = seed.admin.create_group_membership(
        IdentityStoreId=STORE, GroupId=group.group_id, MemberId={"UserId": joiner.user_id}
    )["MembershipId"]
    try:
        now[0] += identitycenter.MEMBERS_TTL_SECONDS - 1
        assert directory.members(group.group_id) == before
        assert calls["ListGroupMemberships"] == 1

        now[0] += 2
        assert joiner in directory.members(group.group_id)
        assert calls["ListGroupMemberships"] == 2
    finally:
        seed.admin.delete_group_membership(IdentityStoreId=STORE, MembershipId=membership)


def test_a_new_process_sees_directory_changes_and_misses_are_not_cached(
    directory: IdentityCenterDirectory, seed: Seed
) -> None:
    with pytest.raises(NotFoundError):
        directory.find_user("dave")
    dave = _add_user(seed.admin, "dave", "dave@example.com")
    try:
        assert directory.find_user("dave") == dave  # the miss was not remembered
        seed.admin.delete_user(IdentityStoreId=STORE, UserId=dave.user_id)
        clear_cache()  # what a new provider process starts with
        with pytest.raises(NotFoundError):
            directory.find_user("dave")
    finally:
        seed.admin.delete_user(IdentityStoreId=STORE, UserId=dave.user_id)


# -- pickling ------------------------------------------------------------------------------


@pytest.mark.parametrize("dumps", [pickle.dumps, dill.dumps], ids=["pickle", "dill"])
def test_pickles_small_after_use_and_holds_no_client_or_lock(
    directory: IdentityCenterDirectory, seed: Seed, dumps: Callable[[Any], bytes]
) -> None:
    directory.members(seed.groups["small"].group_id)  # clients and caches now exist
    data = dumps(directory)
    assert len(data) < 300
    assert b"boto" not in data and b"lock" not in data.lower()
    restored = pickle.loads(data)
    assert restored == directory
    assert restored.find_user("user-001") == seed.users["user-001"]
    assert not hasattr(directory, "__dict__")
    held = [getattr(directory, slot) for slot in IdentityCenterDirectory.__slots__]
    assert all(value is None or isinstance(value, str) for value in held)


def test_unpickling_revalidates(directory: IdentityCenterDirectory) -> None:
    data = pickle.dumps(directory).replace(STORE.encode(), b"d-bad!!!!!!!")
    with pytest.raises(ValidationError):
        pickle.loads(data)


# -- threads -------------------------------------------------------------------------------


def test_eight_threads_resolving_concurrently(
    directory: IdentityCenterDirectory, seed: Seed
) -> None:
    names = [f"user-{i:03d}" for i in range(N_USERS)]
    start = threading.Barrier(8)

    def work(worker: int) -> list[str]:
        start.wait()
        mine = IdentityCenterDirectory(STORE, REGION)  # as each resource's unpickled copy
        errors = []
        for i, name in enumerate(names[worker::4]):
            user = seed.users[name]
            ref = (name, user.user_id, user.email or "")[(i + worker) % 3]
            if mine.find_user(ref) != user:
                errors.append(f"{ref} -> wrong user")
        big = mine.members(seed.groups["big"].group_id)
        if len(big) != BIG_MEMBERS:
            errors.append(f"big group has {len(big)} members")
        if mine.find_group(f"group-{worker:03d}") != seed.groups[f"group-{worker:03d}"]:
            errors.append("wrong group")
        return errors

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    assert results == [[]] * 8


# -- service errors ------------------------------------------------------------------------


def test_access_denied_is_a_directory_error_naming_the_actions(
    directory: IdentityCenterDirectory,
) -> None:
    identitystore_client(REGION).meta.events.register(
        "before-call.identitystore", _refuse("AccessDeniedException", "User: x is not authorized")
    )
    for lookup in (
        lambda: directory.find_user("user-001"),
        lambda: directory.find_group("big"),
        lambda: directory.get_user("00000000-0000-4000-8000-000000000000"),
    ):
        with pytest.raises(DirectoryError) as caught:
            lookup()
        message = str(caught.value)
        assert "denied" in message and STORE in message and "not authorized" in message
        assert all(action in message for action in IDENTITY_STORE_ACTIONS)


def test_access_denied_while_paging_is_a_directory_error(
    directory: IdentityCenterDirectory, seed: Seed
) -> None:
    directory.get_group(seed.groups["big"].group_id)
    identitystore_client(REGION).meta.events.register(
        "before-call.identitystore.ListGroupMemberships",
        _refuse("AccessDeniedException", "no"),
    )
    with pytest.raises(DirectoryError, match="ListGroupMemberships"):
        directory.members(seed.groups["big"].group_id)


def test_wrong_identity_store_is_a_directory_error_not_a_missing_user(
    directory: IdentityCenterDirectory,
) -> None:
    identitystore_client(REGION).meta.events.register(
        "before-call.identitystore",
        _refuse(
            "ResourceNotFoundException", "IDENTITY_STORE not found.", ResourceType="IDENTITY_STORE"
        ),
    )
    with pytest.raises(DirectoryError) as caught:
        directory.find_user("user-001")
    assert caught.value.field == "identity_store_id"
    assert "identitystore:GetUserId" in str(caught.value)


def test_client_uses_standard_retries_and_explicit_timeouts(seed: Seed) -> None:
    clear_cache()
    config = identitystore_client(REGION).meta.config
    assert config.retries["mode"] == "standard"
    assert config.retries["total_max_attempts"] > 3
    assert config.connect_timeout <= 10 and config.read_timeout <= 30


def test_throttling_is_retried_by_botocore(
    directory: IdentityCenterDirectory, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    attempts: list[int] = []

    def throttle_twice(**_: Any) -> AWSResponse | None:
        attempts.append(1)
        if len(attempts) > 2:
            return None  # let moto answer
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
        return AWSResponse(
            "https://identitystore",
            400,
            {"x-amzn-errortype": "ThrottlingException"},
            _Raw(body.encode()),
        )

    # First, so it runs before moto's own before-send handler.
    identitystore_client(REGION).meta.events.register_first(
        "before-send.identitystore.GetUserId", throttle_twice
    )
    assert directory.find_user("user-003") == seed.users["user-003"]
    assert len(attempts) == 3


class _Raw:
    """The raw body botocore reads from an AWSResponse."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def test_refs_not_shaped_like_ids_are_not_sent_to_describe(
    directory: IdentityCenterDirectory, calls: Counter[str]
) -> None:
    for lookup in (directory.get_user, directory.get_group):
        with pytest.raises(NotFoundError):
            lookup("not-an-id")
    with pytest.raises(NotFoundError):
        directory.find_user("plain-name")
    assert calls == Counter({"GetUserId": 1})  # no DescribeUser, no email lookup without "@"


# -- batching ------------------------------------------------------------------------------


def test_many_single_lookups_turn_into_one_read_of_the_store(
    directory: IdentityCenterDirectory, seed: Seed, calls: Counter[str]
) -> None:
    names = [f"user-{i:03d}" for i in range(N_USERS)]
    for name in names:
        assert directory.find_user(name) == seed.users[name]
    for name in names:  # by id and email too, as resources and the Users tab ask
        assert directory.get_user(seed.users[name].user_id) == seed.users[name]
        assert directory.find_user(seed.users[name].user_id) == seed.users[name]
        assert directory.find_user(seed.users[name].email or "") == seed.users[name]
    single = calls["GetUserId"] + calls["DescribeUser"]
    assert single <= DESCRIBE_LIMIT + 1  # the lookup that reached the limit completes alone
    assert calls["ListUsers"] == -(-(N_USERS + 1) // PAGE_SIZE)  # every page, once


def test_concurrent_first_reads_of_a_group_list_it_once(
    directory: IdentityCenterDirectory, seed: Seed, calls: Counter[str]
) -> None:
    start = threading.Barrier(8)

    def members(_: int) -> int:
        start.wait()
        return len(IdentityCenterDirectory(STORE, REGION).members(seed.groups["big"].group_id))

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(members, range(8))) == [BIG_MEMBERS] * 8
    assert calls["ListGroupMemberships"] == 2  # 150 members, 100 a page: listed once
    assert calls["ListUsers"] <= -(-(N_USERS + 1) // PAGE_SIZE)  # the store read once at most
    assert calls["DescribeUser"] == 0
