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
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from kiro_provider.aws.errors import AccessDeniedError, NotSupportedError, ServiceError
from kiro_provider.aws.service import KiroService
from kiro_provider.aws.snapshot import (
    DEFAULT_MAX_AGE_SECONDS,
    ClaimsByPrincipal,
    RecordsByUser,
    Snapshot,
    snapshot_for,
)
from kiro_provider.aws.wire import (
    PLAN_FAMILIES,
    ForeignPlanRecord,
    UnknownPlanError,
    WireClaim,
    WireProfile,
    WireSubscription,
    parse_claim,
    parse_profile,
    parse_record,
    plan_name,
    profile_fields_not_sent_back,
    profile_update,
    rejects_plan_name,
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
from kiro_provider.domain.tiers import Status, Tier, highest, parse_tier
from kiro_provider.errors import ConflictError, KiroError, NotFoundError, ValidationError

log = logging.getLogger(__name__)

#: How long a write waits for Kiro's listings to show it (reported: claims are created
#: asynchronously, "wait ~5 s"), and the pauses between looks: doubling from the first.
READ_AFTER_WRITE_SECONDS = 20.0
FIRST_LOOK_AFTER_SECONDS = 0.25
LONGEST_PAUSE_SECONDS = 4.0

# The pause between looks; a module attribute so tests need not wait.
_sleep: Callable[[float], None] = time.sleep


class AwsControlPlane:
    """Kiro's console through Kiro's own service, with ``directory`` (IAM Identity Center) for
    users, groups and memberships, and ``clock`` to date deferred downgrades."""

    def __init__(
        self,
        service: KiroService,
        directory: Directory,
        clock: Callable[[], datetime],
        actor: str = "kiroctl",
        *,
        snapshot_max_age: float = DEFAULT_MAX_AGE_SECONDS,
        plan_family: str | None = None,
    ) -> None:
        self.service = service
        self.directory = directory
        self.clock = clock
        self.actor = actor  # Kiro keeps its own history (CloudTrail); kept for symmetry
        #: How long this process answers reads from one listing of Kiro (snapshot.py).
        self.snapshot_max_age = snapshot_max_age
        #: The plan-name family every write uses (config pins it); None: the first of
        #: ``PLAN_FAMILIES`` that Kiro accepts, remembered for the process.
        self.plan_family = plan_family

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
            if record is not None and record.status is Status.CANCELED:
                return self._described(profile, user_id, what)  # Kiro changes nothing then
        else:
            return self._described(profile, user_id, what)
        self._await_records([user_id], what)
        return self._described(profile, user_id, what)

    def unsubscribe_user(self, profile: str, user_id: str) -> UserSubscription | None:
        """Delete the user's direct assignment; Kiro decides what the rest makes of it."""
        self._profile(profile)
        if self._claim("USER", user_id) is not None:
            what = f"user {user_id}"
            self._delete(user_id, "USER", what)
            self._await_records([user_id], what)
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
        """Every subscription record, a plan this release has no tier for included (shown as
        Kiro names it); one that cannot be read at all is left out and logged (the rest must
        stay readable)."""
        self._profile(profile)
        claims = self._claims()
        views = []
        for record in self._records().values():
            if isinstance(record, KiroError):
                log.warning("skipped a Kiro subscription: %s", record)
            elif isinstance(record, ForeignPlanRecord):
                views.append(self._foreign_view(profile, record, claims))
            else:
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
        self._await_records(self._member_ids(group_id), what)
        view = self.describe_group(profile, group_id)
        assert view is not None, "a group claim this process wrote is kept in its snapshot"
        return view

    def unsubscribe_group(self, profile: str, group_id: str) -> None:
        self._profile(profile)
        if self._claim("GROUP", group_id) is not None:
            what = f"group {group_id}"
            self._delete(group_id, "GROUP", what)
            self._await_records(self._member_ids(group_id), what)

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
        record = self._profile(profile)
        params = profile_update(record, overages_enabled=overages_enabled)
        unsent = profile_fields_not_sent_back(record)
        if unsent:
            log.warning(
                "profile %r: Kiro returned fields UpdateProfile cannot carry back: %s",
                record.label,
                ", ".join(unsent),
            )
        try:
            self.service.update_profile(params, f"profile {profile!r}")
        finally:
            self._snapshot.profiles.drop()
        return self.get_settings(profile)

    def bill(self, profile: str, month: str) -> Bill:
        raise NotSupportedError(
            "bill: not available with the AWS control plane: Kiro charges through AWS Billing "
            "(see the Billing console or Cost Explorer); kiroctl bill rates the ledger only"
        )

    # --- reading Kiro (through this process's snapshot) --------------------------------------

    @property
    def _snapshot(self) -> Snapshot:
        return snapshot_for(self.service)

    def _profiles(self) -> tuple[WireProfile, ...]:
        profiles = self._snapshot.profiles.get(self._list_profiles, self.snapshot_max_age)
        if not profiles:
            raise NotFoundError(
                f"profile: Kiro has no profile in {self.service.kiro_region}: set Kiro up in the "
                "Kiro console for this account and region first",
                field="profile",
            )
        return profiles

    def _list_profiles(self) -> tuple[WireProfile, ...]:
        return tuple(parse_profile(raw) for raw in self.service.list_profiles())

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

    def _claims_by_principal(self) -> ClaimsByPrincipal:
        return self._snapshot.claims.get(self._list_claims, self.snapshot_max_age)

    def _list_claims(self) -> ClaimsByPrincipal:
        found: dict[tuple[str, str], WireClaim | KiroError] = {}
        for raw in self.service.list_application_claims(self._application_arn()):
            try:
                claim = parse_claim(raw)
            except UnknownPlanError as exc:
                found[(exc.principal_type, exc.principal_id)] = exc
                continue
            if claim is not None:
                found[(claim.principal_type, claim.principal_id)] = claim
        return found

    def _claims(self) -> list[WireClaim]:
        """Every claim whose plan is known; the others are logged (the rest stay readable)."""
        claims = []
        for claim in self._claims_by_principal().values():
            if isinstance(claim, KiroError):
                log.warning("skipped a Kiro assignment: %s", claim)
            else:
                claims.append(claim)
        return claims

    def _claim(self, principal_type: str, principal_id: str) -> WireClaim | None:
        """The principal's claim; an unknown plan on it is raised, not skipped."""
        found = self._claims_by_principal().get((principal_type, principal_id))
        if isinstance(found, KiroError):
            raise found
        return found

    def _records(self) -> RecordsByUser:
        return self._snapshot.subscriptions.get(self._list_records, self.snapshot_max_age)

    def _list_records(self) -> RecordsByUser:
        found: dict[str, WireSubscription | ForeignPlanRecord | KiroError] = {}
        for raw in self.service.list_user_subscriptions():
            try:
                record = parse_record(raw)
            except UnknownPlanError as exc:
                found[exc.principal_id] = exc
                continue
            found[record.user_id] = record
        return found

    def _subscription(self, user_id: str) -> WireSubscription | None:
        """The user's record; a plan this release does not know is raised, saying so (the
        user is subscribed: never reported as unsubscribed, never changed blindly)."""
        found = self._records().get(user_id)
        if isinstance(found, ForeignPlanRecord):
            raise UnknownPlanError(
                f"user {self._user(user_id).user_name!r} holds plan {found.plan!r} in Kiro "
                f"({found.status.value}), which this release of pulumi-kiro has no tier for: "
                "it is subscribed, and pulumi-kiro will neither report it unsubscribed nor "
                "change its plan; manage it in the Kiro console, or upgrade pulumi-kiro",
                principal_type="USER",
                principal_id=user_id,
            )
        if isinstance(found, KiroError):
            raise found
        return found

    def _subscriptions_by_user(self) -> dict[str, WireSubscription]:
        found = {}
        for user_id, record in self._records().items():
            if isinstance(record, ForeignPlanRecord):
                log.warning("user %s holds plan %s, which has no tier", user_id, record.plan)
            elif isinstance(record, KiroError):
                log.warning("skipped a Kiro subscription: %s", record)
            else:
                found[user_id] = record
        return found

    def _described(self, profile: str, user_id: str, what: str) -> UserSubscription:
        view = self.describe_user(profile, user_id)
        if view is None:
            raise ServiceError(
                f"Kiro accepted the assignment for {what} but lists no subscription for it "
                f"after {READ_AFTER_WRITE_SECONDS:.0f} s; run again (a refresh reads it back)"
            )
        return view

    # --- writing Kiro -------------------------------------------------------------------------

    def _create(self, principal_id: str, principal_type: str, tier: Tier, what: str) -> None:
        try:
            self._write_plan(
                self.service.create_assignment, principal_id, principal_type, tier, what
            )
        except ConflictError as exc:
            self._forget_assignments()
            raise ConflictError(
                f"{exc.message}. Kiro answers Conflict when the {principal_type.lower()} is "
                "already subscribed, and (as reported) when a subscription canceled this month "
                "is created again before the month ends",
                field=principal_type.lower(),
            ) from exc
        except KiroError:
            self._forget_assignments()
            raise
        self._wrote(
            principal_type, principal_id, WireClaim(principal_id, principal_type, tier, None)
        )

    def _update(
        self,
        principal_id: str,
        principal_type: str,
        tier: Tier,
        what: str,
        record: WireSubscription | None,
    ) -> None:
        try:
            self._write_plan(
                self.service.update_assignment, principal_id, principal_type, tier, what
            )
        except AccessDeniedError as exc:
            self._forget_assignments()
            if record is None or record.status is not Status.PENDING:
                raise
            raise ConflictError(
                f"{what}: Kiro does not change the plan of a Pending subscription (it answers "
                "AccessDenied until the user first signs in); keep the current tier until the "
                "user has activated Kiro, then apply again",
                field=principal_type.lower(),
            ) from exc
        except KiroError:
            self._forget_assignments()
            raise
        old = self._claim(principal_type, principal_id)
        identifier = old.identifier if old is not None else None
        self._wrote(
            principal_type, principal_id, WireClaim(principal_id, principal_type, tier, identifier)
        )

    def _write_plan(
        self,
        call: Callable[[str, str, str, str], None],
        principal_id: str,
        principal_type: str,
        tier: Tier,
        what: str,
    ) -> None:
        """``call`` (Create- or UpdateAssignment) with the plan named in the family config
        pins; else in the family that worked before in this process, else each family in
        turn while Kiro answers a ValidationException about the plan name (public callers
        disagree on which family Kiro accepts on write)."""
        if self.plan_family is not None:
            call(principal_id, principal_type, plan_name(tier, self.plan_family), what)
            return
        snapshot = self._snapshot
        known = snapshot.plan_family
        families = [known] if known else []
        families += [f for f in PLAN_FAMILIES if f != known]
        for family in families:
            try:
                call(principal_id, principal_type, plan_name(tier, family), what)
            except KiroError as exc:
                if family == families[-1] or not rejects_plan_name(exc):
                    raise
                log.info("Kiro refused plan names of %s (%s); trying the next family", family, exc)
                continue
            snapshot.plan_family = family
            return

    def _delete(self, principal_id: str, principal_type: str, what: str) -> None:
        try:
            self.service.delete_assignment(principal_id, principal_type, what)
        except KiroError:
            self._forget_assignments()
            raise
        self._wrote(principal_type, principal_id, None)

    def _wrote(self, principal_type: str, principal_id: str, claim: WireClaim | None) -> None:
        """Our write, known exactly, kept in the claims; the records are Kiro's to recompute."""
        key = (principal_type, principal_id)

        def apply(claims: ClaimsByPrincipal) -> ClaimsByPrincipal:
            changed = {k: v for k, v in claims.items() if k != key}
            if claim is not None:
                changed[key] = claim
            return changed

        self._snapshot.claims.change(apply)
        self._snapshot.subscriptions.drop()

    def _forget_assignments(self) -> None:
        """A write failed: what Kiro holds is not known any more; list again."""
        self._snapshot.claims.drop()
        self._snapshot.subscriptions.drop()

    def _await_records(self, user_ids: Iterable[str], what: str) -> None:
        """Wait (bounded, backing off) until Kiro lists each user's record as the claims make
        it: the highest tier that reaches them, or Canceled when none does. Kiro is reported to
        create records asynchronously, seconds after the call that asked for them."""
        wanted = {user_id: self._target_tier(user_id) for user_id in user_ids}
        if not wanted:
            return
        waited, pause = 0.0, FIRST_LOOK_AFTER_SECONDS
        while True:
            records = self._records()
            late = [u for u, tier in wanted.items() if not _shows(records.get(u), tier)]
            if not late:
                return
            if waited >= READ_AFTER_WRITE_SECONDS:
                log.warning(
                    "Kiro does not list the change for %s after %.0f s (%d record(s) behind)",
                    what,
                    waited,
                    len(late),
                )
                return
            _sleep(pause)
            waited += pause
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
            self._snapshot.subscriptions.drop()

    def _target_tier(self, user_id: str) -> Tier | None:
        """The tier the claims give ``user_id`` (highest wins), None when none reaches them."""
        tiers = [
            claim.tier
            for claim in self._claims()
            if (claim.principal_type == "USER" and claim.principal_id == user_id)
            or (claim.principal_type == "GROUP" and user_id in self._member_ids(claim.principal_id))
        ]
        return highest(tiers)

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

    def _foreign_view(
        self, profile: str, record: ForeignPlanRecord, claims: Iterable[WireClaim]
    ) -> UserSubscription:
        assignments = tuple(self._assignments(record.user_id, claims))
        return UserSubscription(
            profile=profile,
            subscription_id=f"{profile}/user/{record.user_id}",
            user=self._user(record.user_id),
            status=record.status,
            tier=None,
            effective_tier=None,
            pending_tier=None,
            pending_effective_at=None,
            assignments=assignments if record.status is not Status.CANCELED else (),
            plan=record.plan,
        )

    def _assignments(self, user_id: str, claims: Iterable[WireClaim]) -> Iterable[Assignment]:
        for claim in claims:
            if claim.principal_type == "USER" and claim.principal_id == user_id:
                yield Assignment(None, claim.tier, None)
            elif claim.principal_type == "GROUP" and user_id in self._member_ids(
                claim.principal_id
            ):
                yield Assignment(claim.principal_id, claim.tier, None)

    def _member_ids(self, group_id: str) -> frozenset[str]:
        try:
            return self.group_member_ids(group_id)
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


def _shows(
    record: WireSubscription | ForeignPlanRecord | KiroError | None, tier: Tier | None
) -> bool:
    """Whether a listed record shows what the claims make of its user: live at ``tier``, or
    Canceled (or absent) when no claim reaches them. A record of a plan we cannot read is not
    waited on."""
    if isinstance(record, (KiroError, ForeignPlanRecord)):
        return True
    if tier is None:
        return record is None or record.status is Status.CANCELED
    return record is not None and record.status is not Status.CANCELED and record.tier is tier
