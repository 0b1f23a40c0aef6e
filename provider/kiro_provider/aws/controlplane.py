"""``AwsControlPlane``: the ControlPlane protocol over Kiro's own service (experimental).

Kiro applies its rules itself; this adapter sends assignments and reports what Kiro reports.
How Kiro's records become ours:

- A user's subscription is their ListUserSubscriptions record: ``status`` maps to
  Pending/Active/Canceled; ``type`` is the plan assigned (our ``tier``, the target);
  ``activatedType`` the plan in force. When the plan in force is above the plan assigned, Kiro
  is holding a downgrade until the month ends (R4): we report ``effective_tier`` = the plan in
  force, ``pending_tier`` = the plan assigned, and ``pending_effective_at`` = 00:00 UTC on the
  1st of next month by our clock. That date is inferred from Kiro's documented rule, not read.
- Assignments are the claims of the Kiro application (ListApplicationClaims): a USER claim is the
  user's direct assignment, a GROUP claim a group assignment (Kiro itself subscribes the group's
  members: principalType GROUP). A user's group assignments are the GROUP claims of the groups
  IAM Identity Center lists them in.
- Kiro records no owner: every assignment reads back with ``owner=None`` and writes do not
  check owners. The resources still refuse, at preview, to take over an existing assignment
  unless ``adopt`` is set; what Kiro cannot do is tell two Pulumi stacks apart.
- Kiro has one profile per account and region. ``profiles()`` lists the profile names
  ListProfiles returns in the Kiro region, plus ``default`` for the region's only profile.
- Not offered by Kiro's API, so NotSupportedError: ``activate_user`` (the user's own sign-in),
  ``bill`` (Kiro bills through AWS Billing; see Cost Explorer), and ``deactivate_user`` for a
  user subscribed through a group (the direct assignment alone can be deleted, and is).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from kiro_provider.aws.errors import AccessDeniedError, NotSupportedError
from kiro_provider.aws.service import KiroService
from kiro_provider.aws.wire import (
    WireClaim,
    WireProfile,
    WireSubscription,
    parse_claim,
    parse_profile,
    parse_subscription,
    plan_name,
    principal_id_of,
)
from kiro_provider.controlplane import (
    DEFAULT_PROFILE,
    Assignment,
    Bill,
    Group,
    GroupMember,
    GroupSubscription,
    ProfileSettings,
    User,
    UserSubscription,
    check_settings,
    unknown_profile,
)
from kiro_provider.directory.base import Directory
from kiro_provider.domain.calendar import start_of_next_month
from kiro_provider.domain.tiers import Status, Tier, parse_tier
from kiro_provider.errors import ConflictError, KiroError, NotFoundError, ValidationError

log = logging.getLogger(__name__)


class AwsControlPlane:
    """Kiro's console through Kiro's own service, with ``directory`` (IAM Identity Center) for
    users, groups and memberships, and ``clock`` to date deferred downgrades."""

    def __init__(
        self,
        service: KiroService,
        directory: Directory,
        clock: Callable[[], datetime],
        actor: str = "kiroctl",
    ) -> None:
        self.service = service
        self.directory = directory
        self.clock = clock
        self.actor = actor  # Kiro keeps its own history (CloudTrail); kept for symmetry

    # --- lookups ------------------------------------------------------------------------------

    def profiles(self) -> tuple[str, ...]:
        """``default`` (when the region has exactly one profile) and each profile's name."""
        names = tuple(p.label for p in self._profiles())
        return ((DEFAULT_PROFILE,) if len(names) == 1 else ()) + names

    def find_user(self, ref: str) -> User:
        return self.directory.find_user(ref)

    def find_group(self, ref: str) -> Group:
        return self.directory.find_group(ref)

    def group_member_ids(self, group_id: str) -> frozenset[str]:
        return frozenset(u.user_id for u in self.directory.members(group_id))

    # --- users --------------------------------------------------------------------------------

    def subscribe_user(
        self, profile: str, user_id: str, tier: Tier, *, owner: str | None, adopt: bool = False
    ) -> UserSubscription:
        """Create the user's direct assignment, or change its plan. ``owner`` and ``adopt`` are
        not checked here: Kiro records no owner (the module docstring says what that means)."""
        tier = parse_tier(tier)
        self._profile(profile)
        user = self.directory.get_user(user_id)
        what = f"user {user.user_name!r}"
        direct = self._claim("USER", user_id)
        if direct is None:
            self._create(user_id, "USER", tier, what)
        elif direct.tier is not tier:
            record = self._subscription(user_id)
            self._update(user_id, "USER", tier, what, record)
        view = self.describe_user(profile, user_id)
        assert view is not None, "Kiro reports no subscription right after an assignment"
        return view

    def unsubscribe_user(self, profile: str, user_id: str) -> UserSubscription | None:
        """Delete the user's direct assignment; Kiro decides what the rest makes of it."""
        self._profile(profile)
        if self._claim("USER", user_id) is not None:
            self.service.delete_assignment(user_id, "USER", f"user {user_id}")
        return self.describe_user(profile, user_id)

    def deactivate_user(self, profile: str, user_id: str) -> UserSubscription:
        """ "Deactivate plan" as far as Kiro's API allows: the direct assignment is deleted.
        An assignment through a group cannot be removed for one user (Kiro's API has no such
        call), so a user who holds one is refused before anything changes."""
        view = self.describe_user(profile, user_id)
        if view is None:
            raise NotFoundError(
                f"user: {user_id!r} has no subscription in profile {profile!r}", field="user"
            )
        groups = [a.group_id for a in view.assignments if a.group_id is not None]
        if groups:
            names = ", ".join(self._group_name(g) for g in groups)
            raise NotSupportedError(
                f"user: {view.user.user_name!r} is subscribed through group(s) {names}: not "
                "available with the AWS control plane (Kiro's API cannot remove one member's "
                "group assignment); remove them from the group in IAM Identity Center, or use "
                "the Kiro console's Deactivate plan",
                field="user",
            )
        result = self.unsubscribe_user(profile, user_id)
        assert result is not None
        return result

    def activate_user(self, profile: str, user_id: str) -> UserSubscription:
        raise NotSupportedError(
            "activate: not available with the AWS control plane: a Kiro subscription becomes "
            "Active when the user first signs in to Kiro"
        )

    def describe_user(self, profile: str, user_id: str) -> UserSubscription | None:
        self._profile(profile)
        record = self._subscription(user_id)
        if record is None:
            return None
        return self._user_view(profile, record, self._claims())

    def list_users(self, profile: str) -> list[UserSubscription]:
        """Every subscription record; one whose plan or status is unknown is left out and
        logged (the rest must stay readable)."""
        self._profile(profile)
        claims = self._claims()
        views = []
        for raw in self.service.list_user_subscriptions():
            try:
                record = parse_subscription(raw)
            except KiroError as exc:
                log.warning("skipped a Kiro subscription: %s", exc)
                continue
            views.append(self._user_view(profile, record, claims))
        return sorted(views, key=lambda v: (v.user.user_name, v.user.user_id))

    # --- groups -------------------------------------------------------------------------------

    def subscribe_group(
        self, profile: str, group_id: str, tier: Tier, *, owner: str | None, adopt: bool = False
    ) -> GroupSubscription:
        """Create the group assignment (principalType GROUP: Kiro subscribes the members) or
        change its plan. Owners are not checked (Kiro records none)."""
        tier = parse_tier(tier)
        self._profile(profile)
        group = self.directory.get_group(group_id)
        what = f"group {group.group_name!r}"
        claim = self._claim("GROUP", group_id)
        if claim is None:
            self._create(group_id, "GROUP", tier, what)
        elif claim.tier is not tier:
            self._update(group_id, "GROUP", tier, what, None)
        view = self.describe_group(profile, group_id)
        assert view is not None, "Kiro reports no group claim right after an assignment"
        return view

    def unsubscribe_group(self, profile: str, group_id: str) -> None:
        self._profile(profile)
        if self._claim("GROUP", group_id) is not None:
            self.service.delete_assignment(group_id, "GROUP", f"group {group_id}")

    def describe_group(self, profile: str, group_id: str) -> GroupSubscription | None:
        self._profile(profile)
        claim = self._claim("GROUP", group_id)
        if claim is None:
            return None
        return self._group_view(profile, claim, self._subscriptions_by_user())

    def list_groups(self, profile: str) -> list[GroupSubscription]:
        self._profile(profile)
        by_user = self._subscriptions_by_user()
        views = [
            self._group_view(profile, claim, by_user)
            for claim in self._claims()
            if claim.principal_type == "GROUP"
        ]
        return sorted(views, key=lambda v: (v.group.group_name, v.group.group_id))

    # --- settings and bill --------------------------------------------------------------------

    def get_settings(self, profile: str) -> ProfileSettings:
        """Overages as ListProfiles reports them (absent: disabled, the console's default)."""
        return ProfileSettings(profile, self._profile(profile).overages_enabled)

    def update_settings(
        self, profile: str, *, overages_enabled: bool, overage_cap: object = None
    ) -> ProfileSettings:
        check_settings(overages_enabled, overage_cap)
        arn = self._profile(profile).arn
        self.service.update_overages(arn, overages_enabled, f"profile {profile!r}")
        return self.get_settings(profile)

    def bill(self, profile: str, month: str) -> Bill:
        raise NotSupportedError(
            "bill: not available with the AWS control plane: Kiro charges through AWS Billing "
            "(see the Billing console or Cost Explorer); kiroctl bill rates the ledger only"
        )

    # --- reading Kiro -------------------------------------------------------------------------

    def _profiles(self) -> list[WireProfile]:
        profiles = [parse_profile(raw) for raw in self.service.list_profiles()]
        if not profiles:
            raise NotFoundError(
                f"profile: Kiro has no profile in {self.service.kiro_region}: set Kiro up in the "
                "Kiro console for this account and region first",
                field="profile",
            )
        return profiles

    def _profile(self, name: str) -> WireProfile:
        """The ListProfiles record ``name`` stands for (its name, ARN, or ``default``)."""
        profiles = self._profiles()
        if name == DEFAULT_PROFILE and len(profiles) == 1:
            return profiles[0]
        for record in profiles:
            if name in (record.name, record.arn):
                return record
        raise unknown_profile(name, self.profiles())

    def _application_arn(self) -> str:
        arn = self.service.application_arn
        if not arn:
            raise ValidationError(
                "applicationArn: the AWS control plane needs the Kiro application's ARN to read "
                "assignments: set kiro:applicationArn (or KIRO_APPLICATION_ARN) to the ARN IAM "
                "Identity Center > Applications shows for the KiroProfile application",
                field="applicationArn",
            )
        return arn

    def _claims(self) -> list[WireClaim]:
        claims = []
        for raw in self.service.list_application_claims(self._application_arn()):
            try:
                claim = parse_claim(raw)
            except KiroError as exc:
                log.warning("skipped a Kiro assignment: %s", exc)
                continue
            if claim is not None:
                claims.append(claim)
        return claims

    def _claim(self, principal_type: str, principal_id: str) -> WireClaim | None:
        """The principal's claim; an unknown plan on it is raised, not skipped."""
        for raw in self.service.list_application_claims(self._application_arn()):
            if principal_id_of(raw, principal_type) == principal_id:
                return parse_claim(raw)
        return None

    def _subscription(self, user_id: str) -> WireSubscription | None:
        for raw in self.service.list_user_subscriptions():
            if principal_id_of(raw, "USER") == user_id:
                return parse_subscription(raw)
        return None

    def _subscriptions_by_user(self) -> dict[str, WireSubscription]:
        found = {}
        for raw in self.service.list_user_subscriptions():
            try:
                record = parse_subscription(raw)
            except KiroError as exc:
                log.warning("skipped a Kiro subscription: %s", exc)
                continue
            found[record.user_id] = record
        return found

    # --- writing Kiro -------------------------------------------------------------------------

    def _create(self, principal_id: str, principal_type: str, tier: Tier, what: str) -> None:
        try:
            self.service.create_assignment(principal_id, principal_type, plan_name(tier), what)
        except ConflictError as exc:
            raise ConflictError(
                f"{exc.message}. Kiro answers Conflict when the {principal_type.lower()} is "
                "already subscribed, and (as reported) when a subscription canceled this month "
                "is created again before the month ends",
                field=principal_type.lower(),
            ) from exc

    def _update(
        self,
        principal_id: str,
        principal_type: str,
        tier: Tier,
        what: str,
        record: WireSubscription | None,
    ) -> None:
        try:
            self.service.update_assignment(principal_id, principal_type, plan_name(tier), what)
        except AccessDeniedError as exc:
            if record is None or record.status is not Status.PENDING:
                raise
            raise ConflictError(
                f"{what}: Kiro does not change the plan of a Pending subscription (it answers "
                "AccessDenied until the user first signs in); keep the current tier until the "
                "user has activated Kiro, then apply again",
                field=principal_type.lower(),
            ) from exc

    # --- views --------------------------------------------------------------------------------

    def _group_name(self, group_id: str) -> str:
        try:
            return repr(self.directory.get_group(group_id).group_name)
        except NotFoundError:
            return repr(group_id)

    def _user(self, user_id: str) -> User:
        try:
            return self.directory.get_user(user_id)
        except NotFoundError:
            return User(user_id, user_id)  # deleted from the directory; Kiro still has a record

    def _user_view(
        self, profile: str, record: WireSubscription, claims: Iterable[WireClaim]
    ) -> UserSubscription:
        assignments = tuple(self._assignments(record.user_id, claims))
        effective, pending, pending_at = _tiers(record, self.clock())
        return UserSubscription(
            profile=profile,
            subscription_id=f"{profile}/user/{record.user_id}",
            user=self._user(record.user_id),
            status=record.status,
            tier=record.tier,
            effective_tier=effective,
            pending_tier=pending,
            pending_effective_at=pending_at,
            assignments=assignments if record.status is not Status.CANCELED else (),
        )

    def _assignments(self, user_id: str, claims: Iterable[WireClaim]) -> Iterable[Assignment]:
        for claim in claims:
            if claim.principal_type == "USER" and claim.principal_id == user_id:
                yield Assignment(None, claim.tier, None)
            elif claim.principal_type == "GROUP" and user_id in self._member_ids(claim):
                yield Assignment(claim.principal_id, claim.tier, None)

    def _member_ids(self, claim: WireClaim) -> frozenset[str]:
        try:
            return self.group_member_ids(claim.principal_id)
        except NotFoundError:
            return frozenset()  # the group was deleted from the directory

    def _group_view(
        self, profile: str, claim: WireClaim, by_user: dict[str, WireSubscription]
    ) -> GroupSubscription:
        try:
            group = self.directory.get_group(claim.principal_id)
            users: tuple[User, ...] = self.directory.members(claim.principal_id)
        except NotFoundError:
            group, users = Group(claim.principal_id, claim.principal_id), ()
        now = self.clock()
        members = tuple(
            GroupMember(u.user_id, u.user_name, record.status, _tiers(record, now)[0])
            for u in users
            if (record := by_user.get(u.user_id)) is not None
        )
        return GroupSubscription(profile, group, claim.tier, None, members)


def _tiers(record: WireSubscription, now: datetime) -> tuple[Tier, Tier | None, datetime | None]:
    """(effective tier, pending tier, when): a plan in force above the plan assigned is a
    downgrade Kiro holds until the 1st (R4); Canceled records hold no schedule (R6)."""
    if record.activated_tier.rank > record.tier.rank and record.status is not Status.CANCELED:
        return record.activated_tier, record.tier, start_of_next_month(now)
    return record.tier, None, None
