"""Kiro's wire vocabulary and ours: plan names, statuses, and the records the listings return.

Only this module and ``service`` (the calls' own parameters) know Kiro's field names; the
control plane works on the typed records below. Every shape is as observed by public tools
(docs/aws.md), not promised by AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import KiroError

#: The plan name written for each tier (Kiro's current names).
PLAN_FOR_TIER: Mapping[Tier, str] = MappingProxyType(
    {
        Tier.PRO: "KIRO_ENTERPRISE_PRO",
        Tier.PRO_PLUS: "KIRO_ENTERPRISE_PRO_PLUS",
        Tier.POWER: "KIRO_ENTERPRISE_POWER",
    }
)
#: The older Amazon Q Developer names, which most public callers write (and read back as
#: ``KIRO_ENTERPRISE_*``); one reports a ValidationException whose valid values are only these.
Q_DEVELOPER_PLAN_FOR_TIER: Mapping[Tier, str] = MappingProxyType(
    {
        Tier.PRO: "Q_DEVELOPER_STANDALONE_PRO",
        Tier.PRO_PLUS: "Q_DEVELOPER_STANDALONE_PRO_PLUS",
        Tier.POWER: "Q_DEVELOPER_STANDALONE_POWER",
    }
)
#: The families of plan names a write may use, by the name config pins one with; the first is
#: tried first, the other after a ValidationException about ``subscriptionType``.
PLAN_FAMILIES: Mapping[str, Mapping[Tier, str]] = MappingProxyType(
    {"KIRO_ENTERPRISE": PLAN_FOR_TIER, "Q_DEVELOPER_STANDALONE": Q_DEVELOPER_PLAN_FOR_TIER}
)
#: The field of an assignment call that carries the plan (named by Kiro's validation errors).
PLAN_FIELD = "subscriptionType"

#: Every plan name read back: the current family, the older Amazon Q Developer family, and the
#: ``*_PRO_POWER`` spelling some tools use for Power. ``PRO_MAX`` exists in the service but is
#: not a documented Kiro tier, so it is deliberately absent: it is reported as unknown.
TIER_FOR_PLAN: Mapping[str, Tier] = MappingProxyType(
    {
        **{plan: tier for tier, plan in PLAN_FOR_TIER.items()},
        "KIRO_ENTERPRISE_PRO_POWER": Tier.POWER,
        **{plan: tier for tier, plan in Q_DEVELOPER_PLAN_FOR_TIER.items()},
        "Q_DEVELOPER_STANDALONE_PRO_POWER": Tier.POWER,
    }
)

STATUS_FOR_WIRE: Mapping[str, Status] = MappingProxyType(
    {
        "PENDING": Status.PENDING,
        "ACTIVE": Status.ACTIVE,
        "CANCELLED": Status.CANCELED,
        "CANCELED": Status.CANCELED,
    }
)
WIRE_FOR_STATUS: Mapping[Status, str] = MappingProxyType(
    {Status.PENDING: "PENDING", Status.ACTIVE: "ACTIVE", Status.CANCELED: "CANCELLED"}
)


class UnknownPlanError(KiroError):
    """Kiro reported a plan or status this release cannot map to a tier (a newer plan, or one
    that is not a Kiro tier such as ``PRO_MAX``). Reported, never guessed."""

    code = "UnknownPlan"

    def __init__(self, message: str, *, principal_type: str = "", principal_id: str = "") -> None:
        super().__init__(message)
        #: Whose record it is (``USER`` or ``GROUP`` and its id), when known.
        self.principal_type = principal_type
        self.principal_id = principal_id


def plan_name(tier: Tier, family: str = "KIRO_ENTERPRISE") -> str:
    """The plan name Kiro is sent for ``tier`` in the plan-name ``family``."""
    return PLAN_FAMILIES[family][tier]


def rejects_plan_name(error: KiroError) -> bool:
    """Whether a translated error is Kiro refusing the plan name written (a validation error
    about ``subscriptionType``), so the other family may be tried."""
    return error.code == "ValidationError" and (
        error.field == PLAN_FIELD or PLAN_FIELD in error.message
    )


def tier_of(plan: object, *, who: str, principal: tuple[str, str] = ("", "")) -> Tier:
    """The tier a plan name read from Kiro stands for; UnknownPlanError naming ``who`` and the
    plan when it stands for none (``principal``: whose record, type and id)."""
    tier = TIER_FOR_PLAN.get(plan) if isinstance(plan, str) else None
    if tier is None:
        known = ", ".join(sorted(TIER_FOR_PLAN))
        raise UnknownPlanError(
            f"{who}: Kiro reports plan {plan!r}, which pulumi-kiro does not know (known plans: "
            f"{known}); manage this subscription in the Kiro console or upgrade pulumi-kiro",
            principal_type=principal[0],
            principal_id=principal[1],
        )
    return tier


def status_of(status: object, *, who: str, principal: tuple[str, str] = ("", "")) -> Status:
    """Our status for Kiro's; UnknownPlanError (the record is unusable) when unknown."""
    found = STATUS_FOR_WIRE.get(status.upper()) if isinstance(status, str) else None
    if found is None:
        raise UnknownPlanError(
            f"{who}: Kiro reports status {status!r}; expected one of "
            f"{', '.join(sorted(STATUS_FOR_WIRE))}",
            principal_type=principal[0],
            principal_id=principal[1],
        )
    return found


@dataclass(frozen=True)
class WireSubscription:
    """One record of ListUserSubscriptions, mapped."""

    user_id: str
    status: Status
    #: The plan assigned (``type``): the target.
    tier: Tier
    #: The plan in force (``activatedType``); the assigned plan when Kiro reports none.
    activated_tier: Tier
    aggregated_type: str | None
    activation_date: datetime | None


@dataclass(frozen=True)
class ForeignPlanRecord:
    """A ListUserSubscriptions record whose plan no tier of this release stands for (e.g.
    ``KIRO_ENTERPRISE_PRO_MAX``): kept as Kiro names it, never mapped to a guessed tier."""

    user_id: str
    status: Status
    #: The plan in force as Kiro names it (``activatedType``, else ``type``).
    plan: str


@dataclass(frozen=True)
class WireClaim:
    """One claim of ListApplicationClaims: a user's direct assignment or a group assignment."""

    principal_id: str
    principal_type: str  # USER | GROUP
    tier: Tier
    identifier: str | None


@dataclass(frozen=True)
class WireProfile:
    """One profile of ListProfiles, mapped."""

    arn: str
    #: The name the console shows; Kiro may report none.
    name: str | None
    overages_enabled: bool
    #: The profile as read (every field), to send back whole when a setting changes.
    record: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, hash=False
    )

    @property
    def label(self) -> str:
        """How the profile is named to users: its name, else its ARN."""
        return self.name or self.arn


#: Fields of a ListProfiles record that UpdateProfile carries back, as the console sends them
#: (from a HAR); ``optInFeatures`` is required (below), the others are sent when read.
PROFILE_FIELDS_SENT_BACK = (
    "profileName",
    "identitySource",
    "referenceTrackerConfiguration",
    "activeFunctionalities",
)
#: Fields read that describe the profile and are not settings (not sent back).
PROFILE_FIELDS_READ_ONLY = ("arn", "status", "identityDetails")


class ProfileNotWholeError(KiroError):
    """ListProfiles did not return what an update must send back; not guessed."""

    code = "NotSupported"


def profile_update(profile: WireProfile, *, overages_enabled: bool) -> dict[str, Any]:
    """The UpdateProfile parameters that change overages and nothing else: every setting of
    the profile as read, sent back (if Kiro replaces the whole object, as the console's
    requests suggest, nothing else is reset). ProfileNotWholeError when the read lacks the
    opt-in features: pulumi-kiro will not guess the other opt-ins (autonomous agents...)."""
    record = profile.record
    features = record.get("optInFeatures")
    if not isinstance(features, Mapping):
        raise ProfileNotWholeError(
            f"profile {profile.label!r}: Kiro's ListProfiles returns no optInFeatures for it, so "
            "pulumi-kiro cannot send back the profile's other opt-in settings (autonomous "
            "agents, ...) with the overage change, and will not guess them: an update could "
            "reset them. Change overages in the Kiro console (Settings) instead",
            field="overages_enabled",
        )
    status = "ENABLED" if overages_enabled else "DISABLED"
    params: dict[str, Any] = {
        "profileArn": profile.arn,
        "optInFeatures": {**features, "overageConfiguration": {"overageStatus": status}},
        "optInFeaturesType": "KIRO",
    }
    params.update((k, record[k]) for k in PROFILE_FIELDS_SENT_BACK if record.get(k) is not None)
    return params


def profile_fields_not_sent_back(profile: WireProfile) -> list[str]:
    """Fields read that an update cannot carry (not in the model of UpdateProfile)."""
    known = {"optInFeatures", *PROFILE_FIELDS_SENT_BACK, *PROFILE_FIELDS_READ_ONLY}
    return sorted(k for k in profile.record if k not in known)


def principal_id_of(record: Mapping[str, Any], principal_type: str) -> str | None:
    """The id of the ``USER`` or ``GROUP`` principal a claim or subscription record is about."""
    found = (record.get("principal") or {}).get(principal_type.lower())
    return str(found) if found else None


def parse_profile(record: Mapping[str, Any]) -> WireProfile:
    """A ListProfiles record; overages absent from it are disabled (the console's default)."""
    overages = (record.get("optInFeatures") or {}).get("overageConfiguration") or {}
    return WireProfile(
        arn=str(record.get("arn") or ""),
        name=record.get("profileName") or None,
        overages_enabled=overages.get("overageStatus") == "ENABLED",
        record=MappingProxyType(dict(record)),
    )


def parse_subscription(record: Mapping[str, Any]) -> WireSubscription:
    """A ListUserSubscriptions record; UnknownPlanError for a plan or status we cannot map."""
    user_id = principal_id_of(record, "USER") or ""
    who = f"user {user_id or '(no id)'}"
    principal = ("USER", user_id)
    tier = tier_of((record.get("type") or {}).get("amazonQ"), who=who, principal=principal)
    activated_plan = (record.get("activatedType") or {}).get("amazonQ")
    activated = tier_of(activated_plan, who=who, principal=principal) if activated_plan else tier
    return WireSubscription(
        user_id=user_id,
        status=status_of(record.get("status"), who=who, principal=principal),
        tier=tier,
        activated_tier=activated,
        aggregated_type=record.get("aggregatedSubscriptionType"),
        activation_date=record.get("activationDate"),
    )


def parse_record(record: Mapping[str, Any]) -> WireSubscription | ForeignPlanRecord:
    """A ListUserSubscriptions record: mapped, or kept with Kiro's plan name when the plan is
    unknown; UnknownPlanError when even that cannot be read (no plan, an unknown status)."""
    try:
        return parse_subscription(record)
    except UnknownPlanError as exc:
        plans = [(record.get(k) or {}).get("amazonQ") for k in ("activatedType", "type")]
        plan = next((p for p in plans if isinstance(p, str) and p), None)
        if plan is None or not exc.principal_id:
            raise
        principal = ("USER", exc.principal_id)
        who = f"user {exc.principal_id}"
        status = status_of(record.get("status"), who=who, principal=principal)
        return ForeignPlanRecord(exc.principal_id, status, plan)


def parse_claim(record: Mapping[str, Any]) -> WireClaim | None:
    """A ListApplicationClaims claim; None when it names no user or group principal."""
    principals = [
        (kind, found) for kind in ("USER", "GROUP") if (found := principal_id_of(record, kind))
    ]
    if not principals:
        return None
    principal_type, principal_id = principals[0]  # a user, when a claim were to name both
    who = f"{principal_type.lower()} {principal_id}"
    return WireClaim(
        principal_id=principal_id,
        principal_type=principal_type,
        tier=tier_of(
            (record.get("type") or {}).get("amazonQ"),
            who=who,
            principal=(principal_type, principal_id),
        ),
        identifier=record.get("identifier"),
    )
