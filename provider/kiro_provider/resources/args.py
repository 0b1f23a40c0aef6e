"""Inputs of the three resources: each field validated and described once, here.

The descriptions are the documentation of record: the package schema is generated from these
models, and a test holds the SDK constructors' docstrings to the same words. Validation errors
name the field, the value given and what would be valid.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator

from kiro_provider.controlplane import refuse_overage_cap
from kiro_provider.domain.tiers import Tier, parse_tier
from kiro_provider.errors import ValidationError

MAX_REFERENCE_LENGTH = 256

#: What the Python SDK puts in place of a value unknown during preview (an output of a resource
#: not created yet); the plugin reads the engine's unknowns back as this string too.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def is_unknown(value: object) -> bool:
    """True for a value not known yet during preview."""
    return isinstance(value, str) and value == UNKNOWN


def directory_reference(value: str, field: str) -> str:
    """A user or group reference: trimmed, non-empty, printable, of sane length."""
    text = value.strip()
    if not text:
        raise ValueError(f"{field}: {value!r} is empty; give an id, a name or an email")
    if len(text) > MAX_REFERENCE_LENGTH:
        raise ValueError(
            f"{field}: a reference of {len(text)} characters is too long "
            f"(at most {MAX_REFERENCE_LENGTH})"
        )
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ValueError(f"{field}: {value!r} contains control characters")
    return text


def tier_value(value: Any, field: str = "tier") -> Tier:
    """Parse a tier for pydantic (which only reports ValueErrors)."""
    try:
        return parse_tier(value, field=field)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None


class ProfileArgs(BaseModel):
    """Inputs every resource takes."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    profile: StrictStr | None = Field(
        default=None,
        description="Kiro profile to manage (one per AWS account and region). Defaults to the "
        "stack config `kiro:profile`, else `default`. Changing it replaces the resource.",
    )

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not text:
            raise ValueError(f"profile: {value!r} is empty; omit it to use the default profile")
        return text


class ResourceArgs(ProfileArgs):
    """Inputs of the resources that hold assignments."""

    owner: StrictStr | None = Field(
        default=None,
        description="Set by the SDK: `project/stack/name` of the resource that manages this "
        "assignment, so two resources cannot silently fight over one subscription.",
    )
    adopt: StrictBool = Field(
        default=False,
        description="Take over an assignment that already exists and is managed by no other "
        "resource (made in the console or with kiroctl) instead of failing.",
    )


class SubscriptionArgs(ResourceArgs):
    """Inputs of ``kiro.Subscription``: one user's direct subscription in a profile."""

    user: StrictStr = Field(
        description="The user to subscribe: IAM Identity Center user id, user name or email. "
        "Naming the same person another way is no change; another person replaces the resource.",
    )
    tier: Tier = Field(
        description="The plan: `Pro`, `Pro+` or `Power` (any case; `PRO_PLUS` works). An upgrade "
        "takes effect at once, a downgrade at 00:00 UTC on the 1st of next month.",
    )

    @field_validator("user")
    @classmethod
    def _user(cls, value: str) -> str:
        return value if is_unknown(value) else directory_reference(value, "user")

    @field_validator("tier", mode="before")
    @classmethod
    def _tier(cls, value: Any) -> Tier:
        return tier_value(value)


class GroupAssignmentArgs(ResourceArgs):
    """Inputs of ``kiro.GroupAssignment``: subscribe every member of a group."""

    group: StrictStr = Field(
        description="The group whose members to subscribe: IAM Identity Center group id or "
        "display name. Members added later are subscribed on the next `pulumi up`.",
    )
    tier: Tier = Field(
        description="The plan for every member: `Pro`, `Pro+` or `Power`. A user subscribed "
        "several ways holds one subscription at the highest tier assigned.",
    )

    @field_validator("group")
    @classmethod
    def _group(cls, value: str) -> str:
        return value if is_unknown(value) else directory_reference(value, "group")

    @field_validator("tier", mode="before")
    @classmethod
    def _tier(cls, value: Any) -> Tier:
        return tier_value(value)


class ProfileSettingsArgs(ProfileArgs):
    """Inputs of ``kiro.ProfileSettings``: the settings of one Kiro profile."""

    overages_enabled: StrictBool = Field(
        default=False,
        description="Let every user and group of the profile keep working past their plan's "
        "credits, billed per credit. Off by default; deleting the resource turns it off.",
    )
    overage_cap: Any = Field(
        default=None,
        description="Reserved: Kiro does not support custom overage caps yet, so any value is "
        "rejected.",
    )

    @field_validator("overage_cap")
    @classmethod
    def _no_cap(cls, value: Any) -> None:
        try:
            refuse_overage_cap(value)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
        return None
