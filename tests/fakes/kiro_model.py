"""The state and rules of the fake Kiro service: what Kiro does, applied with our own domain.

Never sees JSON or HTTP (``kiro_service`` does). Each operation is named after the API call it
serves, takes plain values and raises ``FakeError`` (the wire error it stands for) when Kiro
would refuse. Behaviour follows docs/rules.md through ``kiro_provider.domain`` (so the fake
behaves like Kiro's documented rules), plus what public tools report of the real service:

- UpdateAssignment on a Pending user answers AccessDenied; on a Canceled one, 200 and nothing.
- CreateAssignment for a principal that already holds an assignment answers Conflict.
- A listing reports ``type`` (the plan assigned) and ``activatedType`` (the plan in force); a
  downgrade held until the 1st shows as ``type`` below ``activatedType``.

Switches for what public callers disagree on (each off by default):

- ``write_families``: which plan-name families a write accepts (a ValidationException about
  ``subscriptionType`` listing the valid values otherwise).
- ``visibility_delay``: seconds before a write shows in the listings (reported: "wait ~5 s").
- ``replace_profile``: UpdateProfile replaces the whole profile (what the body omits is reset);
  ``profiles_without_opt_ins``: ListProfiles returns no ``optInFeatures``.
- ``claims_page_limit``: the largest ListApplicationClaims page it takes (1,000, as
  ListUserSubscriptions; public callers only ever ask for 100, so 100 is the other case).

Group members are read from IAM Identity Center (moto in tests) on every call, like Kiro would:
a member added to a subscribed group is subscribed at the next call.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import boto3

from kiro_provider.aws.wire import PLAN_FAMILIES, PLAN_FOR_TIER, WIRE_FOR_STATUS
from kiro_provider.domain.subscription import SubscriptionState, activate, reconcile
from kiro_provider.domain.tiers import Status, Tier, highest

#: Plans the fake may accept on writes, by family (Kiro's current names and the older ones).
WRITABLE_PLANS = {
    family: {plan: tier for tier, plan in plans.items()} for family, plans in PLAN_FAMILIES.items()
}
LEGACY_PLAN = {
    Tier.PRO: "Q_DEVELOPER_STANDALONE_PRO",
    Tier.PRO_PLUS: "Q_DEVELOPER_STANDALONE_PRO_PLUS",
    Tier.POWER: "Q_DEVELOPER_STANDALONE_POWER",
}


class FakeError(Exception):
    """A refusal as Kiro sends it: wire code, HTTP status, message, optional invalid fields."""

    def __init__(
        self, code: str, status: int, message: str, fields: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.status, self.message, self.fields = code, status, message, fields


def validation(message: str, field_name: str) -> FakeError:
    return FakeError(
        "ValidationException", 400, message, [{"name": field_name, "message": message}]
    )


def not_found(message: str) -> FakeError:
    return FakeError("ResourceNotFoundException", 404, message)


@dataclass
class Coordinates:
    """Which account, instance, application and regions the fake stands for."""

    identity_store_id: str
    identity_center_region: str
    kiro_region: str = "us-east-1"
    account: str = "123456789012"
    instance_arn: str = "arn:aws:sso:::instance/ssoins-72236ee6a4b1a3b5"
    application_arn: str = (
        "arn:aws:sso::123456789012:application/ssoins-72236ee6a4b1a3b5/apl-a1b2c3d4e5f60718"
    )
    profile_name: str = "KiroProfile-us-east-1"
    identitystore_endpoint: str | None = None

    @property
    def profile_arn(self) -> str:
        return f"arn:aws:codewhisperer:{self.kiro_region}:{self.account}:profile/KIROFAKE0001"


@dataclass
class _Record:
    state: SubscriptionState
    created: datetime
    activated: datetime | None = None
    #: A raw plan name reported instead of the mapped one (to test unknown plans).
    raw_plan: str | None = None


def default_profile(where: Coordinates) -> dict[str, Any]:
    """The profile as the console sets it up: every setting the console's UpdateProfile
    carries, overages off, autonomous agents on."""
    return {
        "arn": where.profile_arn,
        "profileName": where.profile_name,
        "status": "ACTIVE",
        "identityDetails": {
            "ssoIdentityDetails": {
                "instanceArn": where.instance_arn,
                "ssoRegion": where.identity_center_region,
            }
        },
        "optInFeatures": {
            "overageConfiguration": {"overageStatus": "DISABLED"},
            "autonomousAgents": {"toggle": "ON"},
        },
        "referenceTrackerConfiguration": {"recommendationsWithReferences": "ALLOW"},
        "activeFunctionalities": ["COMPLETIONS", "ANALYSIS", "CONVERSATIONS"],
    }


#: Fields UpdateProfile sets (the rest describe the profile).
PROFILE_SETTINGS = (
    "profileName",
    "identitySource",
    "optInFeatures",
    "referenceTrackerConfiguration",
    "activeFunctionalities",
)


@dataclass
class FakeKiro:
    """One Kiro profile and the subscriptions of one IAM Identity Center instance."""

    where: Coordinates
    #: "Now" for the rules; a test may set it (``set_now``) to cross a month end.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    #: Report plans with the older Q_DEVELOPER_STANDALONE_* names.
    legacy_plans: bool = False
    claims: dict[tuple[str, str], Tier] = field(default_factory=dict)
    records: dict[str, _Record] = field(default_factory=dict)
    #: The profile's stored fields (``default_profile`` on first use).
    profile: dict[str, Any] = field(default_factory=dict)
    write_families: tuple[str, ...] = tuple(PLAN_FAMILIES)
    visibility_delay: float = 0.0
    replace_profile: bool = False
    profiles_without_opt_ins: bool = False
    claims_page_limit: int = 1000
    #: What the listings still show of a recent write: key -> (item before it, shown until).
    hidden: dict[tuple[str, str], tuple[dict[str, Any] | None, float]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: At most this many items a listing page (None: as many as asked).
    page_cap: int | None = None
    #: Group members read during the current request (one identitystore read per group).
    member_cache: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.profile:
            self.profile = default_profile(self.where)

    @property
    def overages(self) -> bool:
        features = self.profile.get("optInFeatures") or {}
        status = (features.get("overageConfiguration") or {}).get("overageStatus")
        return bool(status == "ENABLED")

    def begin_request(self) -> None:
        """Forget what the previous request read from IAM Identity Center."""
        self.member_cache.clear()

    def write(self, change: Callable[[], None]) -> None:
        """Apply a write; with a visibility delay, the listings keep showing every item it
        changed as it was before, for that long."""
        if not self.visibility_delay:
            change()
            return
        before = self._listed()
        change()
        after = self._listed()
        until = time.monotonic() + self.visibility_delay
        for key in before.keys() | after.keys():
            if before.get(key) != after.get(key):
                shown = self.hidden.get(key, (before.get(key), 0.0))[0]
                self.hidden[key] = (shown, until)

    def _listed(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every item the listings show now, by (listing, principal)."""
        self.sync()
        kinds = self._kinds()
        items = {("sub", uid): self._subscription(uid, r, kinds) for uid, r in self.records.items()}
        for item in self._claim_items():
            principal = item["principal"]
            items[("claim", next(iter(principal.values())))] = item
        return copy.deepcopy(items)

    def _visible(
        self, kind: str, items: list[dict[str, Any]], key_of: Callable[[dict[str, Any]], str]
    ) -> list[dict[str, Any]]:
        """``items`` as the listing shows them while recent writes are not yet visible."""
        now = time.monotonic()
        self.hidden = {k: v for k, v in self.hidden.items() if v[1] > now}
        shown = []
        keys = set()
        for item in items:
            key = (kind, key_of(item))
            keys.add(key)
            if key in self.hidden:
                old = self.hidden[key][0]
                if old is not None:
                    shown.append(old)
            else:
                shown.append(item)
        for (k, principal), (old, _) in self.hidden.items():
            if k == kind and (k, principal) not in keys and old is not None:
                shown.append(old)
        return shown

    # -- AmazonQDeveloperService -----------------------------------------------------------------

    def create_assignment(self, principal_id: str, principal_type: str, plan: str) -> None:
        tier = self._tier(plan)
        self._require_principal(principal_id, principal_type)
        if (principal_type, principal_id) in self.claims:
            raise FakeError("ConflictException", 409, "Resource is in an invalid state.")

        def create() -> None:
            self.claims[(principal_type, principal_id)] = tier
            self.sync()

        self.write(create)

    def update_assignment(self, principal_id: str, principal_type: str, plan: str) -> None:
        tier = self._tier(plan)
        key = (principal_type, principal_id)
        if key not in self.claims:
            raise not_found(f"No assignment for {principal_type} {principal_id}")
        record = self.records.get(principal_id) if principal_type == "USER" else None
        if record is not None and record.state.status is Status.PENDING:
            raise FakeError(
                "AccessDeniedException", 403, "User is not authorized to perform this action"
            )
        if record is not None and record.state.status is Status.CANCELED:
            return  # reported: 200, nothing changes

        def update() -> None:
            self.claims[key] = tier
            self.sync()

        self.write(update)

    def delete_assignment(self, principal_id: str, principal_type: str) -> None:
        if (principal_type, principal_id) not in self.claims:
            raise not_found(f"No assignment for {principal_type} {principal_id}")

        def delete() -> None:
            del self.claims[(principal_type, principal_id)]
            self.sync()

        self.write(delete)

    # -- AWSZornControlPlaneService ----------------------------------------------------------------

    def list_user_subscriptions(self, instance_arn: str, region: str) -> list[dict[str, Any]]:
        if instance_arn != self.where.instance_arn:
            raise not_found(f"Instance {instance_arn} not found")
        self._require_region(region)
        self.sync()
        kinds = self._kinds()
        items = [self._subscription(uid, r, kinds) for uid, r in sorted(self.records.items())]
        return self._visible("sub", items, lambda item: item["principal"]["user"])

    def list_application_claims(self, application_arn: str, region: str) -> list[dict[str, Any]]:
        if application_arn != self.where.application_arn:
            raise not_found(f"Application {application_arn} not found")
        self._require_region(region)
        return self._visible(
            "claim", self._claim_items(), lambda item: next(iter(item["principal"].values()))
        )

    def _claim_items(self) -> list[dict[str, Any]]:
        return [
            {
                "principal": {ptype.lower(): pid},
                "type": {"amazonQ": self._plan(tier)},
                "identifier": f"{self._subscription_arn_prefix}/{pid}",
            }
            for (ptype, pid), tier in sorted(self.claims.items())
        ]

    # -- AWSCodeWhispererService ---------------------------------------------------------------

    def list_profiles(self) -> list[dict[str, Any]]:
        profile = copy.deepcopy(self.profile)
        if self.profiles_without_opt_ins:
            profile.pop("optInFeatures", None)
        return [profile]

    def update_profile(self, profile_arn: str, body: dict[str, Any]) -> None:
        """Overages as the body says; with ``replace_profile`` every setting is what the body
        says (one it omits is reset), else only the overage toggle changes."""
        if profile_arn != self.where.profile_arn:
            raise not_found(f"Profile {profile_arn} not found")
        features = body.get("optInFeatures") or {}
        status = (features.get("overageConfiguration") or {}).get("overageStatus")
        if status not in (None, "ENABLED", "DISABLED"):
            raise validation(f"Invalid overageStatus {status}", "overageStatus")
        if self.replace_profile:
            for name in PROFILE_SETTINGS:
                if name in body:
                    self.profile[name] = copy.deepcopy(body[name])
                else:
                    self.profile.pop(name, None)
        elif status is not None:
            stored = self.profile.setdefault("optInFeatures", {})
            stored["overageConfiguration"] = {"overageStatus": status}

    # -- events from outside IaC (test controls) -------------------------------------------------

    def sign_in(self, user_id: str) -> None:
        """R2: the user signs in to Kiro for the first time."""
        self.sync()
        record = self.records[user_id]
        record.state = activate(record.state, self.clock())
        record.activated = record.activated or self.clock()

    # -- the rules --------------------------------------------------------------------------------

    def sync(self) -> None:
        """Reconcile every user with the claims that reach them (direct and through groups)."""
        now = self.clock()
        targets = self._targets()
        for user_id in set(self.records) | set(targets):
            old = self.records.get(user_id)
            state = reconcile(old.state if old else None, targets.get(user_id), now)
            if state is None:
                continue
            if old is None or (not old.state.is_live and state.is_live):
                self.records[user_id] = _Record(state, created=now)
            else:
                old.state = state

    def _targets(self) -> dict[str, Tier]:
        tiers: dict[str, list[Tier]] = {}
        for (ptype, pid), tier in self.claims.items():
            for user_id in [pid] if ptype == "USER" else self._members(pid):
                tiers.setdefault(user_id, []).append(tier)
        return {uid: t for uid, ts in tiers.items() if (t := highest(ts)) is not None}

    def _subscription(
        self, user_id: str, record: _Record, kinds: dict[str, set[str]]
    ) -> dict[str, Any]:
        state = record.state
        assigned = state.pending_tier or state.effective_tier
        kinds_of_user = kinds.get(user_id, set())
        item: dict[str, Any] = {
            "principal": {"user": user_id},
            "type": {"amazonQ": record.raw_plan or self._plan(assigned)},
            "activatedType": {"amazonQ": record.raw_plan or self._plan(state.effective_tier)},
            "status": WIRE_FOR_STATUS[state.status],
            "subscriptionRegion": self.where.kiro_region,
            "createdDate": record.created.timestamp(),
        }
        if kinds_of_user:
            item["aggregatedSubscriptionType"] = {
                frozenset({"USER"}): "INDIVIDUAL",
                frozenset({"GROUP"}): "GROUP",
            }.get(frozenset(kinds_of_user), "INDIVIDUAL_AND_GROUP")
        if record.activated is not None:
            item["activationDate"] = record.activated.timestamp()
        return item

    def _kinds(self) -> dict[str, set[str]]:
        """By user id: how claims reach them (``USER`` directly, ``GROUP`` through a group)."""
        kinds: dict[str, set[str]] = {}
        for ptype, pid in self.claims:
            for user_id in [pid] if ptype == "USER" else self._members(pid):
                kinds.setdefault(user_id, set()).add(ptype)
        return kinds

    # -- helpers ----------------------------------------------------------------------------------

    @property
    def _subscription_arn_prefix(self) -> str:
        return f"arn:aws:user-subscriptions::{self.where.account}:subscription"

    def _plan(self, tier: Tier) -> str:
        return LEGACY_PLAN[tier] if self.legacy_plans else PLAN_FOR_TIER[tier]

    def _tier(self, plan: str) -> Tier:
        for family in self.write_families:
            tier = WRITABLE_PLANS[family].get(plan)
            if tier is not None:
                return tier
        valid = [p for family in self.write_families for p in WRITABLE_PLANS[family]]
        message = (
            f"1 validation error detected: Value '{plan}' at 'subscriptionType' failed to "
            f"satisfy constraint: Member must satisfy enum value set: [{', '.join(valid)}]"
        )
        raise validation(message, "subscriptionType")

    def _require_region(self, region: str) -> None:
        if region != self.where.kiro_region:
            raise validation(f"Invalid subscriptionRegion {region}", "subscriptionRegion")

    def _identitystore(self) -> Any:
        return boto3.client(
            "identitystore",
            region_name=self.where.identity_center_region,
            endpoint_url=self.where.identitystore_endpoint,
        )

    def _require_principal(self, principal_id: str, principal_type: str) -> None:
        client = self._identitystore()
        store = self.where.identity_store_id
        try:
            if principal_type == "USER":
                client.describe_user(IdentityStoreId=store, UserId=principal_id)
            else:
                client.describe_group(IdentityStoreId=store, GroupId=principal_id)
        except client.exceptions.ResourceNotFoundException:
            raise validation(f"Principal {principal_id} not found", "principalId") from None

    def _members(self, group_id: str) -> Iterable[str]:
        if group_id not in self.member_cache:
            self.member_cache[group_id] = list(self._read_members(group_id))
        return self.member_cache[group_id]

    def _read_members(self, group_id: str) -> Iterable[str]:
        client = self._identitystore()
        paginator = client.get_paginator("list_group_memberships")
        try:
            for page in paginator.paginate(
                IdentityStoreId=self.where.identity_store_id, GroupId=group_id
            ):
                for m in page.get("GroupMemberships", []):
                    if "UserId" in m.get("MemberId", {}):
                        yield m["MemberId"]["UserId"]
        except client.exceptions.ResourceNotFoundException:
            return
