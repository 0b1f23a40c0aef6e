"""The AWS IAM Identity Center adapter of the directory port (boto3 ``identitystore``).

Contract, beyond ``kiro_provider.directory.base.Directory``:

- An ``IdentityCenterDirectory`` holds three strings (store id, region, endpoint) and nothing
  else: no client, no lock, no dict. Pulumi pickles providers (and what they hold) into every
  resource's state with dill, so it must pickle small and by reference.
- Every cache lives at module level, shared by all instances that name the same (store id,
  region, endpoint), protected by locks: one provider process serves four worker threads. The
  boto3 client is the process-wide one of ``kiro_provider.boto_clients`` (its retries and
  timeouts are those of every AWS client of pulumi-kiro).
- Caching (per process; a new process always starts empty, so it sees every directory change):
  users and groups by id, and the mapping from a user name / email / display name to an id,
  last for the life of the process. A provider process lives for one Pulumi operation, and a
  rename during that operation is shown with the old name until the next one. Lookups that
  find nothing are not cached, so a user created mid-run is found. Group member lists change
  more often and are what R7 acts on, so they are kept only ``MEMBERS_TTL_SECONDS``: long
  enough that check, diff and update of one operation list a 10,000-member group once
  (concurrent first reads of one group list it once).
- Batching: a process that has looked up ``DESCRIBE_LIMIT`` users one by one (a preview of many
  Subscriptions, the Users tab of a large profile), or meets a group with more unknown members
  than that, reads the whole store once with ListUsers (100 users a call) and answers later
  lookups by id, user name or email from it; only a user missing from that read (created
  since) is looked up alone again.
- Errors: unknown users or groups raise NotFoundError (field ``user`` / ``group``); an empty or
  blank reference raises ValidationError; anything the service refuses (access denied, wrong
  identity store, throttled past the retries, no network, no credentials) raises
  DirectoryError naming the IAM actions this adapter needs.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from kiro_provider import boto_clients
from kiro_provider.controlplane import Group, User
from kiro_provider.errors import DirectoryError, NotFoundError, ValidationError

#: The IAM actions this adapter calls; quoted in every access error (and, with Kiro's own, in
#: the AWS control plane's).
IDENTITY_STORE_ACTIONS = (
    "identitystore:GetUserId",
    "identitystore:DescribeUser",
    "identitystore:GetGroupId",
    "identitystore:DescribeGroup",
    "identitystore:ListGroupMemberships",
    "identitystore:ListUsers",
)

#: Page size of the list calls (the service maximum).
PAGE_SIZE = 100
#: How long a group's member list is reused within one process.
MEMBERS_TTL_SECONDS = 30.0
#: Up to this many unknown members are described one by one; more and the whole store is read
#: with ListUsers (100 users a call) instead, so 10,000 members cost ~100 calls, not 10,000.
DESCRIBE_LIMIT = 50

# AWS documents ``d-[0-9a-f]{10}`` or a UUID (botocore's model). moto's sso-admin makes
# ``d-`` + 10 random lower-case letters and digits, so the ``d-`` form accepts [0-9a-z].
_STORE_ID = re.compile(
    r"d-[0-9a-z]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
_REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+)+")
# User and group ids (botocore's ResourceId pattern). Only a reference of this shape is tried as
# an id: the service answers anything else with a ValidationException, a wasted call.
_RESOURCE_ID = re.compile(
    r"([0-9a-f]{10}-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)

# Monotonic clock for the member-list TTL; a module attribute so tests can move time.
_clock: Callable[[], float] = time.monotonic

_Key = tuple[str, str, str | None]


@dataclass
class _StoreCache:
    """What one process has learned about one identity store. Every access holds ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    users: dict[str, User] = field(default_factory=dict)
    user_refs: dict[str, str] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    group_refs: dict[str, str] = field(default_factory=dict)
    members: dict[str, tuple[float, tuple[str, ...]]] = field(default_factory=dict)
    #: One lock per group while its members are listed (concurrent first reads list once).
    member_locks: dict[str, threading.Lock] = field(default_factory=dict)
    #: Users looked up one call at a time so far, and whether the whole store was read.
    single_lookups: int = 0
    scanned: bool = False
    scan_lock: threading.Lock = field(default_factory=threading.Lock)


_caches: dict[_Key, _StoreCache] = {}
_caches_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every cached lookup and client of this process (for tests)."""
    with _caches_lock:
        _caches.clear()
    boto_clients.clear_clients()


def identitystore_client(region: str, endpoint_url: str | None = None) -> Any:
    """The process-wide ``identitystore`` client for (region, endpoint), built on first use."""
    return boto_clients.client("identitystore", region, endpoint_url)


def _cache_for(key: _Key) -> _StoreCache:
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None:  # not setdefault: it would build a throwaway cache on every lookup
            cache = _caches[key] = _StoreCache()
        return cache


def _restore(
    identity_store_id: str, region: str, endpoint_url: str | None
) -> IdentityCenterDirectory:
    """Unpickle through the constructor, so a restored object is validated like a new one."""
    return IdentityCenterDirectory(identity_store_id, region, endpoint_url=endpoint_url)


class IdentityCenterDirectory:
    """Users, groups and memberships of one IAM Identity Center identity store."""

    # No __dict__: the object is pickled into Pulumi state, and the SDK's pickle monkeypatch
    # (see DESIGN.md section 4) breaks on dicts.
    __slots__ = ("_endpoint_url", "_identity_store_id", "_region")

    def __init__(
        self, identity_store_id: str, region: str, *, endpoint_url: str | None = None
    ) -> None:
        """Validate the coordinates; no AWS call is made until a lookup."""
        self._identity_store_id = _check_store_id(identity_store_id)
        self._region = _check_region(region)
        self._endpoint_url = _check_endpoint(endpoint_url)

    @property
    def identity_store_id(self) -> str:
        return self._identity_store_id

    @property
    def region(self) -> str:
        return self._region

    @property
    def endpoint_url(self) -> str | None:
        return self._endpoint_url

    def __reduce__(self) -> tuple[Callable[..., IdentityCenterDirectory], tuple[Any, ...]]:
        return _restore, (self._identity_store_id, self._region, self._endpoint_url)

    def __repr__(self) -> str:
        return f"IdentityCenterDirectory({self._identity_store_id!r}, {self._region!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdentityCenterDirectory) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    # -- the Directory port ---------------------------------------------------------------

    def find_user(self, ref: str) -> User:
        """The user whose user id, user name or email is ``ref`` (tried in that order)."""
        ref = _check_ref(ref, "user")
        cache = self._cache
        with cache.lock:
            user_id = cache.user_refs.get(ref)
        if user_id is None:
            user_id = self._resolve_user_ref(ref)
            with cache.lock:
                cache.user_refs[ref] = user_id
        return self.get_user(user_id)

    def get_user(self, user_id: str) -> User:
        """The user with this canonical id; NotFoundError if there is none."""
        user_id = _check_ref(user_id, "user")
        user = self._cached_user(user_id)
        if user is None and _RESOURCE_ID.fullmatch(user_id) and self._scan_once():
            user = self._cached_user(user_id)
        if user is None and _RESOURCE_ID.fullmatch(user_id):
            user = self._describe_user(user_id)
        if user is None:
            raise self._user_not_found(user_id)
        return user

    def find_group(self, ref: str) -> Group:
        """The group whose group id or display name is ``ref`` (tried in that order)."""
        ref = _check_ref(ref, "group")
        cache = self._cache
        with cache.lock:
            group_id = cache.group_refs.get(ref)
        if group_id is None:
            group_id = self._resolve_group_ref(ref)
            with cache.lock:
                cache.group_refs[ref] = group_id
        return self.get_group(group_id)

    def get_group(self, group_id: str) -> Group:
        """The group with this canonical id; NotFoundError if there is none."""
        group_id = _check_ref(group_id, "group")
        cache = self._cache
        with cache.lock:
            group = cache.groups.get(group_id)
        if group is None and _RESOURCE_ID.fullmatch(group_id):
            group = self._describe_group(group_id)
        if group is None:
            raise self._group_not_found(group_id)
        return group

    def members(self, group_id: str) -> tuple[User, ...]:
        """The group's current members (every page), ordered by user name.

        NotFoundError if the group does not exist. A member deleted from the store while the
        list is being read is left out.
        """
        group = self.get_group(group_id)
        member_ids = self._member_ids(group.group_id)
        users = self._users_by_id(member_ids)
        return tuple(sorted(users, key=lambda u: (u.user_name, u.user_id)))

    # -- resolution -------------------------------------------------------------------------

    def _resolve_user_ref(self, ref: str) -> str:
        is_id = _RESOURCE_ID.fullmatch(ref) is not None
        # An id wins over a user name or email (find_user's order); a known one costs no call.
        if is_id and self._cached_user(ref) is not None:
            return ref
        if self._scan_once():
            if is_id and self._cached_user(ref) is not None:
                return ref
            with self._cache.lock:
                found = self._cache.user_refs.get(ref)
            if found is not None:
                return found
        if is_id:
            user = self._describe_user(ref)
            if user is not None:
                return user.user_id
        # moto 5.2.1 implements GetUserId for both userName and emails.value, so no ListUsers
        # filter fallback is needed (and AWS deprecates the ListUsers UserName filter anyway).
        user_id = self._get_id("get_user_id", "userName", ref)
        if user_id is None and "@" in ref:
            user_id = self._get_id("get_user_id", "emails.value", ref)
        if user_id is None:
            raise self._user_not_found(ref)
        return user_id

    def _resolve_group_ref(self, ref: str) -> str:
        if _RESOURCE_ID.fullmatch(ref):
            group = self._describe_group(ref)
            if group is not None:
                return group.group_id
        group_id = self._get_id("get_group_id", "displayName", ref)
        if group_id is None:
            raise self._group_not_found(ref)
        # Found by its display name, so that is its name: no DescribeGroup needed.
        with self._cache.lock:
            self._cache.groups.setdefault(group_id, Group(group_id=group_id, group_name=ref))
        return group_id

    def _get_id(self, operation: str, attribute_path: str, value: str) -> str | None:
        """GetUserId / GetGroupId by a unique attribute; None when nothing has that value."""
        identifier = {"UniqueAttribute": {"AttributePath": attribute_path, "AttributeValue": value}}
        if operation == "get_user_id":
            self._count_single_lookup()
        response = self._call(operation, missing_ok=True, AlternateIdentifier=identifier)
        if response is None:
            return None
        return cast(str, response["UserId" if operation == "get_user_id" else "GroupId"])

    def _describe_user(self, user_id: str) -> User | None:
        self._count_single_lookup()
        response = self._call("describe_user", missing_ok=True, UserId=user_id)
        if response is None:
            return None
        user = _user_from(response)
        self._remember_users([user])
        return user

    def _describe_group(self, group_id: str) -> Group | None:
        response = self._call("describe_group", missing_ok=True, GroupId=group_id)
        if response is None:
            return None
        group = Group(group_id=response["GroupId"], group_name=response["DisplayName"])
        with self._cache.lock:
            self._cache.groups[group.group_id] = group
        return group

    # -- memberships ------------------------------------------------------------------------

    def _member_ids(self, group_id: str) -> tuple[str, ...]:
        cache = self._cache
        with cache.lock:
            group_lock = cache.member_locks.setdefault(group_id, threading.Lock())
        with group_lock:
            return self._member_ids_locked(group_id)

    def _member_ids_locked(self, group_id: str) -> tuple[str, ...]:
        cache = self._cache
        with cache.lock:
            entry = cache.members.get(group_id)
        if entry is not None and _clock() - entry[0] < MEMBERS_TTL_SECONDS:
            return entry[1]
        fetched_at = _clock()
        pages = self._pages("list_group_memberships", GroupId=group_id)
        ids = tuple(
            m["MemberId"]["UserId"]
            for page in pages
            for m in page.get("GroupMemberships", [])
            if "UserId" in m.get("MemberId", {})
        )
        with cache.lock:
            cache.members[group_id] = (fetched_at, ids)
        return ids

    def _users_by_id(self, user_ids: Iterable[str]) -> list[User]:
        """Users for these ids: cached ones free; more than ``DESCRIBE_LIMIT`` unknown (or the
        limit of single lookups reached) and the whole store is read, once per process; what
        is still unknown (created since, or deleted) is described one by one."""
        wanted = list(dict.fromkeys(user_ids))
        known = self._known_users(wanted)
        if len(wanted) - len(known) > DESCRIBE_LIMIT:
            self._read_store()
        elif len(known) < len(wanted):
            self._scan_once()
        known = self._known_users(wanted)
        for user_id in wanted:
            if user_id not in known:
                user = self._describe_user(user_id)
                if user is not None:
                    known[user_id] = user
        return [known[u] for u in wanted if u in known]

    def _known_users(self, user_ids: Iterable[str]) -> dict[str, User]:
        with self._cache.lock:
            users = self._cache.users
            return {u: users[u] for u in user_ids if u in users}

    def _count_single_lookup(self) -> None:
        with self._cache.lock:
            self._cache.single_lookups += 1

    def _scan_once(self) -> bool:
        """After ``DESCRIBE_LIMIT`` single lookups, read the whole store once. True when the
        store has been read."""
        cache = self._cache
        with cache.lock:
            if cache.scanned or cache.single_lookups < DESCRIBE_LIMIT:
                return cache.scanned
        self._read_store()
        return True

    def _read_store(self) -> None:
        """Read every user of the store with ListUsers, once per process: one reader, and
        concurrent callers wait for it and find it done. Group reads of overlapping groups
        (a refresh reads them first, in any order) all answer from that one read."""
        cache = self._cache
        with cache.scan_lock:
            with cache.lock:
                if cache.scanned:
                    return
            for page in self._pages("list_users"):
                self._remember_users(_user_from(u) for u in page.get("Users", []))
            with cache.lock:
                cache.scanned = True

    # -- AWS calls and error translation ------------------------------------------------------

    def _pages(self, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a list operation, with errors translated."""
        paginator = identitystore_client(self._region, self._endpoint_url).get_paginator(operation)
        pages = paginator.paginate(
            IdentityStoreId=self._identity_store_id,
            PaginationConfig={"PageSize": PAGE_SIZE},
            **params,
        )
        try:
            yield from pages
        except (ClientError, BotoCoreError) as err:
            raise self._directory_error(operation, err) from err

    def _call(self, operation: str, *, missing_ok: bool, **params: Any) -> dict[str, Any] | None:
        """One API call; None if ``missing_ok`` and the user/group (not the store) is missing."""
        client = identitystore_client(self._region, self._endpoint_url)
        try:
            method = getattr(client, operation)
            return cast("dict[str, Any]", method(IdentityStoreId=self._identity_store_id, **params))
        except ClientError as err:
            if missing_ok and _is_missing_entity(err):
                return None
            raise self._directory_error(operation, err) from err
        except BotoCoreError as err:
            raise self._directory_error(operation, err) from err

    def _directory_error(self, operation: str, err: ClientError | BotoCoreError) -> DirectoryError:
        where = f"identity store {self._identity_store_id} in {self._region}"
        needs = "The caller needs " + ", ".join(IDENTITY_STORE_ACTIONS) + " on it."
        if not isinstance(err, ClientError):
            return DirectoryError(f"IAM Identity Center {operation} failed for {where}: {err}")
        code = _error_code(err)
        message = err.response.get("Error", {}).get("Message", "")
        if code == "AccessDeniedException":
            text = f"IAM Identity Center denied {operation} on {where}: {message}. {needs}"
        elif code == "ResourceNotFoundException":
            text = (
                f"IAM Identity Center has no {where} ({message}): check the identity store id "
                f"and region (IAM Identity Center > Settings shows both). {needs}"
            )
            return DirectoryError(text, field="identity_store_id")
        elif code == "ThrottlingException":
            text = f"IAM Identity Center throttled {operation} on {where} past every retry."
        else:
            text = f"IAM Identity Center {operation} failed on {where}: {code}: {message}"
        return DirectoryError(text)

    def _user_not_found(self, ref: str) -> NotFoundError:
        return NotFoundError(
            f"user {ref!r} not found in identity store {self._identity_store_id} "
            f"({self._region}): give a user id, user name or email",
            field="user",
        )

    def _group_not_found(self, ref: str) -> NotFoundError:
        return NotFoundError(
            f"group {ref!r} not found in identity store {self._identity_store_id} "
            f"({self._region}): give a group id or display name",
            field="group",
        )

    # -- cache plumbing ----------------------------------------------------------------------

    @property
    def _key(self) -> _Key:
        return (self._identity_store_id, self._region, self._endpoint_url)

    @property
    def _cache(self) -> _StoreCache:
        return _cache_for(self._key)

    def _cached_user(self, user_id: str) -> User | None:
        with self._cache.lock:
            return self._cache.users.get(user_id)

    def _remember_users(self, users: Iterable[User]) -> None:
        """Keep users by id, and their user names and emails as references to them (a user
        name wins over another user's email, as in ``find_user``)."""
        users = list(users)
        cache = self._cache
        with cache.lock:
            cache.users.update((u.user_id, u) for u in users)
            cache.user_refs.update((u.email, u.user_id) for u in users if u.email)
            cache.user_refs.update((u.user_name, u.user_id) for u in users)


# -- helpers --------------------------------------------------------------------------------


def _user_from(record: dict[str, Any]) -> User:
    """A User from a DescribeUser response or a ListUsers item (primary email, else first)."""
    emails = record.get("Emails") or []
    primary = next((e for e in emails if e.get("Primary")), emails[0] if emails else {})
    return User(user_id=record["UserId"], user_name=record["UserName"], email=primary.get("Value"))


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _is_missing_entity(err: ClientError) -> bool:
    """True when a user or group is missing (or the value is malformed for the service),
    False when the identity store itself is (that is a configuration error)."""
    code = _error_code(err)
    if code == "ValidationException":
        return True
    resource_type = err.response.get("ResourceType") or err.response.get("Error", {}).get(
        "ResourceType"
    )
    return code == "ResourceNotFoundException" and resource_type != "IDENTITY_STORE"


def _check_ref(ref: str, field_name: str) -> str:
    # Surrounding whitespace is dropped: user names cannot contain it, and a display name
    # padded with spaces is far more likely a typo in a Pulumi program than a real name.
    if not isinstance(ref, str) or not ref.strip():
        raise ValidationError(
            f"{field_name} must be a non-empty {_REF_FORMS[field_name]}, got {ref!r}",
            field=field_name,
        )
    return ref.strip()


_REF_FORMS = {"user": "user id, user name or email", "group": "group id or display name"}


def _check_store_id(value: str) -> str:
    if not isinstance(value, str) or not _STORE_ID.fullmatch(value.strip()):
        raise ValidationError(
            f"identity_store_id {value!r} is not an identity store id: expected d- followed by "
            "10 characters (e.g. d-1234567890) or a UUID, as shown in IAM Identity Center > "
            "Settings",
            field="identity_store_id",
        )
    return value.strip()


def _check_region(value: str) -> str:
    if not isinstance(value, str) or not _REGION.fullmatch(value.strip()):
        raise ValidationError(
            f"region {value!r} is not an AWS region name (e.g. us-east-1)", field="region"
        )
    return value.strip()


def _check_endpoint(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"https?://\S+$", value):
        raise ValidationError(
            f"endpoint_url {value!r} must be an http:// or https:// URL", field="endpoint_url"
        )
    return value
