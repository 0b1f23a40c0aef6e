"""The state and rules of the fake Kiro service: what Kiro does, applied with our own domain.

Never sees JSON or HTTP (``kiro_service`` does). Each operation is named after the API call it
serves, takes plain values and raises ``FakeError`` (the wire error it stands for) when Kiro
would refuse. Behaviour follows docs/rules.md through ``kiro_provider.domain`` (so the fake
behaves like Kiro's documented rules), plus what public tools report of the real service:

- UpdateAssignment on a Pending user answers AccessDenied; on a Canceled one, 200 and nothing.
- CreateAssignment for a principal that already holds an assignment answers Conflict.
- A listing reports ``type`` (the plan assigned) and ``activatedType`` (the plan in force); a
  downgrade held until the 1st shows as ``type`` below ``activatedType``.

Group members are read from IAM Identity Center (moto in tests) on every call, like Kiro would:
a member added to a subscribed group is subscribed at the next call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import boto3

from kiro_provider.aws.wire import PLAN_FOR_TIER, WIRE_FOR_STATUS
from kiro_provider.domain.subscription import SubscriptionState, activate, reconcile
from kiro_provider.domain.tiers import Status, Tier, highest

#: Plans the fake accepts on writes (Kiro's current names, and the older family it falls back to).
WRITABLE_PLANS = {plan: tier for tier, plan in PLAN_FOR_TIER.items()} | {
    "Q_DEVELOPER_STANDALONE_PRO": Tier.PRO,
    "Q_DEVELOPER_STANDALONE_PRO_PLUS": Tier.PRO_PLUS,
    "Q_DEVELOPER_STANDALONE_POWER": Tier.POWER,
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
    overages: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: At most this many items a listing page (None: as many as asked).
    page_cap: int | None = None
    #: Group members read during the current request (one identitystore read per group).
    member_cache: dict[str, list[str]] = field(default_factory=dict)

    def begin_request(self) -> None:
        """Forget what the previous request read from IAM Identity Center."""
        self.member_cache.clear()

    # -- AmazonQDeveloperService -----------------------------------------------------------------

    def create_assignment(self, principal_id: str, principal_type: str, plan: str) -> None:
        tier = self._tier(plan)
        self._require_principal(principal_id, principal_type)
        if (principal_type, principal_id) in self.claims:
            raise FakeError("ConflictException", 409, "Resource is in an invalid state.")
        self.claims[(principal_type, principal_id)] = tier
        self.sync()

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
        self.claims[key] = tier
        self.sync()

    def delete_assignment(self, principal_id: str, principal_type: str) -> None:
        if self.claims.pop((principal_type, principal_id), None) is None:
            raise not_found(f"No assignment for {principal_type} {principal_id}")
        self.sync()

    # -- AWSZornControlPlaneService ----------------------------------------------------------------

    def list_user_subscriptions(self, instance_arn: str, region: str) -> list[dict[str, Any]]:
        if instance_arn != self.where.instance_arn:
            raise not_found(f"Instance {instance_arn} not found")
        self._require_region(region)
        self.sync()
        return [self._subscription(uid, r) for uid, r in sorted(self.records.items())]

    def list_application_claims(self, application_arn: str, region: str) -> list[dict[str, Any]]:
        if application_arn != self.where.application_arn:
            raise not_found(f"Application {application_arn} not found")
        self._require_region(region)
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
        status = "ENABLED" if self.overages else "DISABLED"
        return [
            {
                "arn": self.where.profile_arn,
                "profileName": self.where.profile_name,
                "status": "ACTIVE",
                "optInFeatures": {"overageConfiguration": {"overageStatus": status}},
            }
        ]

    def update_profile(self, profile_arn: str, overage_status: str | None) -> None:
        if profile_arn != self.where.profile_arn:
            raise not_found(f"Profile {profile_arn} not found")
        if overage_status not in (None, "ENABLED", "DISABLED"):
            raise validation(f"Invalid overageStatus {overage_status}", "overageStatus")
        if overage_status is not None:
            self.overages = overage_status == "ENABLED"

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

    def _subscription(self, user_id: str, record: _Record) -> dict[str, Any]:
        state = record.state
        assigned = state.pending_tier or state.effective_tier
        kinds = {ptype for (ptype, pid) in self.claims if pid == user_id}
        if any(user_id in self._members(pid) for (pt, pid) in self.claims if pt == "GROUP"):
            kinds.add("GROUP")
        item: dict[str, Any] = {
            "principal": {"user": user_id},
            "type": {"amazonQ": record.raw_plan or self._plan(assigned)},
            "activatedType": {"amazonQ": record.raw_plan or self._plan(state.effective_tier)},
            "status": WIRE_FOR_STATUS[state.status],
            "subscriptionRegion": self.where.kiro_region,
            "createdDate": record.created.timestamp(),
        }
        if kinds:
            item["aggregatedSubscriptionType"] = {
                frozenset({"USER"}): "INDIVIDUAL",
                frozenset({"GROUP"}): "GROUP",
            }.get(frozenset(kinds), "INDIVIDUAL_AND_GROUP")
        if record.activated is not None:
            item["activationDate"] = record.activated.timestamp()
        return item

    # -- helpers ----------------------------------------------------------------------------------

    @property
    def _subscription_arn_prefix(self) -> str:
        return f"arn:aws:user-subscriptions::{self.where.account}:subscription"

    def _plan(self, tier: Tier) -> str:
        return LEGACY_PLAN[tier] if self.legacy_plans else PLAN_FOR_TIER[tier]

    def _tier(self, plan: str) -> Tier:
        tier = WRITABLE_PLANS.get(plan)
        if tier is None:
            raise validation(f"Invalid subscriptionType {plan}", "subscriptionType")
        return tier

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
