"""Adopting a resource from its id alone (``pulumi import``): the id -> the properties that the
providers' ``read`` needs. The id formats are those each provider's ``create`` returns."""

from __future__ import annotations

from typing import Any

from kiro_provider.resources.base import control_plane

_GROUP_MARK = "/group/"


def subscription_props(id_: str) -> dict[str, Any] | None:
    """A Subscription's id is the control plane's ``subscription_id`` (``kiroctl users
    --json`` shows it): find the record in whichever profile holds it."""
    cp = control_plane(None)
    for profile in cp.profiles():
        for sub in cp.list_users(profile):
            if sub.subscription_id == id_:
                return _assignment(profile, user=sub.user.user_name, user_id=sub.user.user_id)
    return None


def group_assignment_props(id_: str) -> dict[str, Any] | None:
    """A GroupAssignment's id is ``PROFILE/group/GROUP_ID``."""
    profile, mark, group_id = id_.rpartition(_GROUP_MARK)
    if not (mark and profile and group_id):
        return None
    group = control_plane(None).describe_group(profile, group_id)
    if group is None:
        return None
    return _assignment(profile, group=group.group.group_name, group_id=group_id)


def profile_settings_props(id_: str) -> dict[str, Any] | None:
    """ProfileSettings' id is the profile's name."""
    return {"profile": id_} if id_ in control_plane(None).profiles() else None


def _assignment(profile: str, **fields: str) -> dict[str, Any]:
    return {**fields, "profile": profile, "owner": None, "adopt": False}


_BY_TYPE = {
    "kiro:index:Subscription": subscription_props,
    "kiro:index:GroupAssignment": group_assignment_props,
    "kiro:index:ProfileSettings": profile_settings_props,
}


def import_props(type_: str, id_: str) -> dict[str, Any] | None:
    """The properties of the resource of type ``type_`` with id ``id_``, or None when the
    control plane holds nothing by that id."""
    return _BY_TYPE[type_](id_)
