"""The control-plane interface: what the Pulumi resources and kiroctl may ask of Kiro.

Two implementations stand behind it: ours (``kiro_provider.ledger.LedgerControlPlane``: the
domain rules R1-R9 over the embedded SQLite ledger) and, later, Kiro's own service. Nothing that
calls this interface may assume which one it talks to: with Kiro's own service, Kiro applies
the rules itself and the views report what Kiro reports.

Every method takes and returns typed records; none sees JSON, SQL or Pulumi Outputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import NotFoundError, ValidationError, shown

#: The profile used when neither the resource nor the stack config names one.
DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class User:
    """A directory user (IAM Identity Center or the ledger-held directory)."""

    user_id: str
    user_name: str
    email: str | None = None


@dataclass(frozen=True)
class Group:
    """A directory group."""

    group_id: str
    group_name: str


@dataclass(frozen=True)
class Assignment:
    """One reason a user holds a subscription: a direct assignment or one through a group."""

    #: ``None`` for a direct assignment, else the id of the group it comes through.
    group_id: str | None
    tier: Tier
    #: Who manages it: a Pulumi resource (``project/stack/name``), or None (console, kiroctl).
    owner: str | None


@dataclass(frozen=True)
class UserSubscription:
    """A user's one subscription in one profile, with every assignment that feeds it."""

    profile: str
    #: Stable id of this record (adopt it with this id).
    subscription_id: str
    user: User
    status: Status
    #: The target: highest tier over the current assignments (for Canceled: the last effective).
    #: None only with ``plan``: Kiro reports a plan no tier of this release stands for.
    tier: Tier | None
    #: The tier in force now (None only with ``plan``, as ``tier``).
    effective_tier: Tier | None
    #: A downgrade scheduled for ``pending_effective_at`` (00:00 UTC on the 1st), if any.
    pending_tier: Tier | None
    pending_effective_at: datetime | None
    assignments: tuple[Assignment, ...]
    #: Kiro's own name for a plan this release has no tier for (e.g. a Pro Max plan,
    #: ``KIRO_ENTERPRISE_PRO_MAX``): the record is listed as Kiro names it, never as a guessed
    #: tier. None for every record of a known tier (always, in the ledger).
    plan: str | None = None

    @property
    def credits(self) -> int | None:
        """Monthly credits of the effective tier; None for a plan of unknown credits."""
        return self.effective_tier.credits if self.effective_tier is not None else None

    @property
    def plan_name(self) -> str:
        """The plan in force as users are shown it: the effective tier's name, or Kiro's."""
        return self.effective_tier.value if self.effective_tier is not None else str(self.plan)

    @property
    def direct(self) -> Assignment | None:
        """The direct assignment, if the user has one."""
        return next((a for a in self.assignments if a.group_id is None), None)


@dataclass(frozen=True)
class GroupMember:
    """A member of a subscribed group as the Groups tab shows them."""

    user_id: str
    user_name: str
    status: Status
    effective_tier: Tier


@dataclass(frozen=True)
class GroupSubscription:
    """A group assignment in one profile (groups have no status: their members do)."""

    profile: str
    group: Group
    tier: Tier
    owner: str | None
    members: tuple[GroupMember, ...]

    @property
    def member_count(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class ProfileSettings:
    """Settings of a Kiro profile (R8)."""

    profile: str
    overages_enabled: bool = False


@dataclass(frozen=True)
class BillLine:
    """One charged user in a monthly bill (R9)."""

    user_id: str
    user_name: str
    tier: Tier
    usd: Decimal


@dataclass(frozen=True)
class Bill:
    """A profile's bill for one calendar month (R9)."""

    profile: str
    month: str  # YYYY-MM
    lines: tuple[BillLine, ...]

    @property
    def total_usd(self) -> Decimal:
        return sum((line.usd for line in self.lines), Decimal(0))


class ControlPlane(Protocol):
    """Operations of the Kiro console, named after what an administrator does.

    Users and groups are referred to by canonical id once resolved with ``find_user`` /
    ``find_group``. Every write applies due schedules first (R5), happens atomically, and
    returns the record as it stands afterwards. Unknown users, groups or profiles raise
    NotFoundError; bad values raise ValidationError; ownership clashes raise ConflictError.
    """

    def profiles(self) -> tuple[str, ...]:
        """Names of the profiles this control plane knows."""
        ...

    def find_user(self, ref: str) -> User:
        """The user whose id, user name or email is ``ref``."""
        ...

    def find_group(self, ref: str) -> Group:
        """The group whose id or display name is ``ref``."""
        ...

    def subscribe_user(
        self, profile: str, user_id: str, tier: Tier, *, owner: str | None, adopt: bool = False
    ) -> UserSubscription:
        """Create or change the user's direct assignment (R1, R3, R4).

        With an ``owner``: a direct assignment held by another owner is a ConflictError naming
        it; one held by the same owner is updated (so an interrupted create completes); one held
        by nobody (made in the console) is a ConflictError unless ``adopt`` is set.
        With ``owner=None`` (an administrator at the console) the tier is changed whoever owns it.
        """
        ...

    def unsubscribe_user(self, profile: str, user_id: str) -> UserSubscription | None:
        """Remove the user's direct assignment only; what remains decides the tier (R3/R4), and
        with nothing left the subscription is Canceled (R6). None if the user never had one."""
        ...

    def deactivate_user(self, profile: str, user_id: str) -> UserSubscription:
        """The console's "Deactivate plan": drop every assignment of the user; Canceled (R6)."""
        ...

    def activate_user(self, profile: str, user_id: str) -> UserSubscription:
        """The user signs in for the first time: Pending -> Active (R2)."""
        ...

    def describe_user(self, profile: str, user_id: str) -> UserSubscription | None:
        """The user's subscription record (any status), or None if there never was one."""
        ...

    def list_users(self, profile: str) -> list[UserSubscription]:
        """The Users tab: every subscription record of the profile."""
        ...

    def subscribe_group(
        self, profile: str, group_id: str, tier: Tier, *, owner: str | None, adopt: bool = False
    ) -> GroupSubscription:
        """Create or re-apply a group assignment: every current member gets an assignment from
        the group at ``tier``; members no longer in the group lose it (R7). Ownership as for
        ``subscribe_user``."""
        ...

    def unsubscribe_group(self, profile: str, group_id: str) -> None:
        """Remove the group assignment and every assignment that came through it."""
        ...

    def describe_group(self, profile: str, group_id: str) -> GroupSubscription | None:
        """The group assignment, or None when the group is not assigned in the profile."""
        ...

    def group_member_ids(self, group_id: str) -> frozenset[str]:
        """Ids of the group's current members in the directory (to detect membership drift)."""
        ...

    def list_groups(self, profile: str) -> list[GroupSubscription]:
        """The Groups tab: every group assignment of the profile."""
        ...

    def get_settings(self, profile: str) -> ProfileSettings:
        """The profile's settings (defaults when never set)."""
        ...

    def update_settings(
        self, profile: str, *, overages_enabled: bool, overage_cap: object = None
    ) -> ProfileSettings:
        """Change the profile's settings (R8); any ``overage_cap`` is a ValidationError."""
        ...

    def bill(self, profile: str, month: str) -> Bill:
        """The bill for calendar month ``month`` (``YYYY-MM``) under R9."""
        ...


# --- rules every implementation and caller applies the same way ------------------------------


def refuse_overage_cap(overage_cap: object) -> None:
    """R8: Kiro has no custom overage caps yet, so any cap at all is a ValidationError."""
    if overage_cap is not None:
        raise ValidationError(
            f"overage_cap: {shown(overage_cap)}: custom overage caps are not supported by Kiro "
            "yet; leave overage_cap unset (overages_enabled=True allows unlimited overages)",
            field="overage_cap",
        )


def check_settings(overages_enabled: object, overage_cap: object) -> None:
    """The arguments of ``ControlPlane.update_settings``: no cap (R8), and a real boolean."""
    refuse_overage_cap(overage_cap)
    if not isinstance(overages_enabled, bool):
        raise ValidationError(
            f"overages_enabled: {shown(overages_enabled)} is not a boolean; expected true or false",
            field="overages_enabled",
        )


def unknown_profile(name: object, known: Iterable[str]) -> NotFoundError:
    """The error for a profile the control plane does not know, listing those it knows."""
    return NotFoundError(
        f"profile: {shown(name)} is not a Kiro profile; known profiles: "
        f"{', '.join(known) or '(none)'}",
        field="profile",
    )


def require_profile(control_plane: ControlPlane, name: str) -> str:
    """``name`` when ``control_plane`` knows that profile, else ``unknown_profile``'s error."""
    known = control_plane.profiles()
    if name not in known:
        raise unknown_profile(name, known)
    return name
