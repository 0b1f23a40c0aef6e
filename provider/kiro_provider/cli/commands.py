"""What each kiroctl command does: parse -> call the control plane -> render.

Handlers take the open :class:`Session` and the parsed arguments and return the text to print.
They hold no subscription rules: those live behind the ControlPlane interface. The checks here
only turn "the command does not fit the current record" into a message that says which command
to use instead. kiroctl is the administrator's console: every write passes ``owner=None``.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kiro_provider import config as kiro_config
from kiro_provider.cli import render
from kiro_provider.controlplane import (
    ControlPlane,
    Group,
    User,
    UserSubscription,
    require_profile,
)
from kiro_provider.domain.billing import parse_month
from kiro_provider.domain.tiers import Status
from kiro_provider.errors import ConflictError, NotFoundError, ValidationError

#: Who kiroctl writes into the ledger history as the actor of its changes.
ACTOR = "kiroctl"


class AdminDirectory(Protocol):
    """The directory administration kiroctl needs (the ledger-held directory provides it)."""

    def add_user(self, name: str, email: str | None = None) -> User: ...

    def add_group(self, name: str, members: Sequence[str] = ()) -> Group: ...

    def add_member(self, group_ref: str, user_ref: str) -> object: ...

    def remove_member(self, group_ref: str, user_ref: str) -> object: ...

    def find_user(self, ref: str) -> User: ...

    def find_group(self, ref: str) -> Group: ...

    def members(self, group_id: str) -> tuple[User, ...]: ...


@dataclass
class Session:
    """The control plane and directory of one kiroctl run, opened on first use."""

    config: kiro_config.KiroConfig
    _plane: ControlPlane | None = field(default=None, init=False)

    def plane(self) -> ControlPlane:
        if self._plane is None:
            self._plane = kiro_config.open_control_plane(self.config, actor=ACTOR)
        return self._plane

    def profile(self) -> str:
        """The profile the command names, checked against the profiles the control plane knows."""
        return require_profile(self.plane(), self.config.profile)

    def _directory_in_use(self) -> str:
        return "identitycenter" if self.config.control_plane == "aws" else self.config.directory

    def directory(self) -> AdminDirectory:
        """The ledger-held directory, the only one kiroctl administers."""
        # The aws control plane reads users and groups from IAM Identity Center whatever
        # kiro:directory says, so the ledger-held directory is not the one in use.
        if self.config.directory != "ledger" or self.config.control_plane == "aws":
            raise ValidationError(
                f"directory: kiroctl directory manages the ledger-held directory, but the "
                f"configured directory is {self._directory_in_use()!r}; manage users and groups "
                "in IAM Identity Center instead, or set KIRO_DIRECTORY=ledger",
                field="directory",
            )
        from kiro_provider.ledger import LedgerDirectory, open_ledger

        ledger = open_ledger(self.config.ledger_path)
        return LedgerDirectory(ledger, actor=ACTOR, clock=self.config.clock())


Handler = Callable[[Session, argparse.Namespace], str]


# --- argument types (run while parsing: before anything is opened) --------------------------


def calendar_month(value: str) -> str:
    """``value`` when it is a month the bill can be asked for (the domain's ``parse_month``
    decides); its ValidationError otherwise."""
    parse_month(value)
    return value


# --- directory ------------------------------------------------------------------------------


def add_user(session: Session, args: argparse.Namespace) -> str:
    return render.added_user_line(session.directory().add_user(args.name, email=args.email))


def add_group(session: Session, args: argparse.Namespace) -> str:
    directory = session.directory()
    group = directory.add_group(args.name, members=tuple(args.member or ()))
    return render.added_group_line(group, len(directory.members(group.group_id)))


def add_member(session: Session, args: argparse.Namespace) -> str:
    directory = session.directory()
    directory.add_member(args.group, args.user)
    user, group = directory.find_user(args.user), directory.find_group(args.group)
    return f"{user.user_name} is now a member of {group.group_name}"


def remove_member(session: Session, args: argparse.Namespace) -> str:
    directory = session.directory()
    directory.remove_member(args.group, args.user)
    user, group = directory.find_user(args.user), directory.find_group(args.group)
    return f"{user.user_name} is no longer a member of {group.group_name}"


# --- plans ----------------------------------------------------------------------------------


def subscribe(session: Session, args: argparse.Namespace) -> str:
    plane, profile = session.plane(), session.profile()
    if args.group is not None:
        group = plane.find_group(args.group)
        if plane.describe_group(profile, group.group_id) is not None:
            raise _group_already_assigned(group, profile)
        sub = plane.subscribe_group(profile, group.group_id, args.tier, owner=None)
        return render.group_line(sub)
    user = plane.find_user(args.user)
    current = plane.describe_user(profile, user.user_id)
    if current is not None and current.direct is not None:
        raise _user_already_subscribed(current)
    return render.user_line(plane.subscribe_user(profile, user.user_id, args.tier, owner=None))


def change_plan(session: Session, args: argparse.Namespace) -> str:
    plane, profile = session.plane(), session.profile()
    if args.group is not None:
        group = _assigned_group(plane, profile, args.group)
        sub = plane.subscribe_group(profile, group.group_id, args.tier, owner=None)
        return render.group_line(sub)
    user = plane.find_user(args.user)
    current = plane.describe_user(profile, user.user_id)
    if current is None or current.direct is None:
        raise _no_direct_subscription(user, current, profile)
    return render.user_line(plane.subscribe_user(profile, user.user_id, args.tier, owner=None))


def unsubscribe(session: Session, args: argparse.Namespace) -> str:
    plane, profile = session.plane(), session.profile()
    if args.group is not None:
        group = _assigned_group(plane, profile, args.group)
        plane.unsubscribe_group(profile, group.group_id)
        return f"{group.group_name}: group assignment removed from profile {profile}"
    user = _subscribed_user(plane, profile, args.user)
    return render.user_line(plane.deactivate_user(profile, user.user_id))


def activate(session: Session, args: argparse.Namespace) -> str:
    plane, profile = session.plane(), session.profile()
    user = _subscribed_user(plane, profile, args.user)
    return render.user_line(plane.activate_user(profile, user.user_id))


# --- tabs -----------------------------------------------------------------------------------


def users(session: Session, args: argparse.Namespace) -> str:
    plane, profile = session.plane(), session.profile()
    subs = [_with_email(plane, s) for s in plane.list_users(profile)]
    names = {g.group.group_id: g.group.group_name for g in plane.list_groups(profile)}
    if args.json:
        return render.dumps([render.user_json(s, names) for s in subs])
    return render.users_table(subs, names, profile)


def groups(session: Session, args: argparse.Namespace) -> str:
    plane, profile = session.plane(), session.profile()
    assigned = plane.list_groups(profile)
    if args.json:
        return render.dumps([render.group_json(g) for g in assigned])
    return render.groups_table(assigned, profile)


def settings(session: Session, args: argparse.Namespace) -> str:
    plane, profile = session.plane(), session.profile()
    if args.overages is None:
        result = plane.get_settings(profile)
        summary = render.settings_table(result)
    else:
        result = plane.update_settings(profile, overages_enabled=args.overages == "on")
        summary = render.settings_line(result)
    return render.dumps(render.settings_json(result)) if args.json else summary


def bill(session: Session, args: argparse.Namespace) -> str:
    plane, profile = session.plane(), session.profile()
    result = plane.bill(profile, args.month)
    if args.json:
        return render.dumps(render.bill_json(result))
    return render.bill_table(result)


def _with_email(plane: ControlPlane, sub: UserSubscription) -> UserSubscription:
    """``sub`` with the user's email from the directory when the record holds none.

    The ledger's records snapshot the user id and name only; the Users tab shows the email too.
    A user gone from the directory keeps ``None``.
    """
    if sub.user.email is not None:
        return sub
    try:
        return dataclasses.replace(sub, user=plane.find_user(sub.user.user_id))
    except NotFoundError:
        return sub


# --- messages for commands that do not fit the record ---------------------------------------


def _assigned_group(plane: ControlPlane, profile: str, ref: str) -> Group:
    group = plane.find_group(ref)
    if plane.describe_group(profile, group.group_id) is None:
        assigned = ", ".join(g.group.group_name for g in plane.list_groups(profile))
        raise NotFoundError(
            f"group: {ref!r} is not assigned in profile {profile}; assigned groups: "
            f"{assigned or '(none)'}; use `kiroctl subscribe --group {ref} --tier TIER`",
            field="group",
        )
    return group


def _subscribed_user(plane: ControlPlane, profile: str, ref: str) -> User:
    user = plane.find_user(ref)
    if plane.describe_user(profile, user.user_id) is None:
        raise NotFoundError(
            f"user: {ref!r} has no subscription in profile {profile}; subscribe them first "
            f"with `kiroctl subscribe {ref} --tier TIER`",
            field="user",
        )
    return user


def _user_already_subscribed(current: UserSubscription) -> ConflictError:
    name = current.user.user_name
    return ConflictError(
        f"user: {name!r} is already subscribed directly in profile {current.profile} "
        f"({render.tier_name(current.tier) or current.plan}, {current.status.value}); "
        f"use `kiroctl change-plan {name} --tier TIER` to change the plan",
        field="user",
    )


def _group_already_assigned(group: Group, profile: str) -> ConflictError:
    name = group.group_name
    return ConflictError(
        f"group: {name!r} is already assigned in profile {profile}; use "
        f"`kiroctl change-plan --group {name} --tier TIER` to change or re-apply it",
        field="group",
    )


def _no_direct_subscription(
    user: User, current: UserSubscription | None, profile: str
) -> ConflictError:
    name = user.user_name
    through = ""
    if current is not None and current.status is not Status.CANCELED and current.assignments:
        through = " (their plan comes only through groups; change it with --group GROUP)"
    return ConflictError(
        f"user: {name!r} has no direct subscription in profile {profile}{through}; "
        f"use `kiroctl subscribe {name} --tier TIER` first",
        field="user",
    )
