"""``kiro.GroupAssignment``: subscribe every member of a directory group (R7).

There is no group subscription in Kiro: each member holds their own. The resource records the
members it applied; when the directory's membership differs, ``diff`` reports a change on
``members`` so the next ``up`` subscribes newcomers and releases leavers.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from kiro_provider.controlplane import GroupSubscription
from kiro_provider.errors import KiroError, NotFoundError
from kiro_provider.resources.args import UNKNOWN, GroupAssignmentArgs, is_unknown
from kiro_provider.resources.base import (
    KiroResourceProvider,
    checked,
    control_plane,
    current_config,
    parse_args,
    read_result,
    translate,
)
from kiro_provider.resources.outputs import changed_keys, check_claim, resolve_profile


class GroupAssignmentProvider(KiroResourceProvider):
    """Lifecycle of ``kiro.GroupAssignment`` over the control plane."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        args, failures = parse_args(GroupAssignmentArgs, news)
        if args is None:
            return CheckResult(news, failures)
        return checked(lambda: self._resolve(args, olds))

    def _resolve(self, args: GroupAssignmentArgs, olds: dict[str, Any]) -> dict[str, Any]:
        cp = control_plane(args.owner)
        inputs: dict[str, Any] = {
            "group": args.group,
            "tier": args.tier.value,
            "profile": resolve_profile(cp, args.profile, current_config().profile),
            "owner": args.owner,
            "adopt": args.adopt,
            "group_id": UNKNOWN,
        }
        if is_unknown(args.group):
            return inputs
        group = cp.find_group(args.group)
        inputs["group_id"] = group.group_id
        if olds.get("group_id") != inputs["group_id"] or olds.get("profile") != inputs["profile"]:
            view = cp.describe_group(inputs["profile"], group.group_id)
            check_claim(view, "group", group.group_name, inputs)
        return inputs

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = changed_keys(olds, news, ("group_id", "profile"))
        changes = changed_keys(olds, news, ("tier",))
        if not replaces and _membership_changed(olds):
            changes.append("members")
        return DiffResult(
            changes=bool(replaces or changes), replaces=replaces, delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        view = _apply(props)
        return CreateResult(f"{view.profile}/group/{view.group.group_id}", outputs(view, props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outputs(_apply(news), news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        cp = control_plane(props.get("owner"))
        view = cp.describe_group(props["profile"], props["group_id"])
        if view is None:
            return ReadResult(None, {})
        live = {**props, "tier": view.tier.value}
        return read_result(id_, outputs(view, live), _inputs(live))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            control_plane(props.get("owner")).unsubscribe_group(props["profile"], props["group_id"])
        except NotFoundError:
            pass  # the group or profile is gone already
        except KiroError as exc:
            raise translate(exc) from None


_INPUT_KEYS = ("group", "tier", "profile", "owner", "adopt", "group_id")


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in _INPUT_KEYS}


def _membership_changed(olds: dict[str, Any]) -> bool:
    """True when the directory's members differ from those the assignment last applied."""
    if is_unknown(olds.get("group_id")) or olds.get("members") is None:
        return False
    applied = {member["user_id"] for member in olds["members"]}
    try:
        current = control_plane(olds.get("owner")).group_member_ids(olds["group_id"])
    except NotFoundError:
        return False  # the group vanished: refresh reports it, update would fail
    return applied != set(current)


def _apply(props: dict[str, Any]) -> GroupSubscription:
    try:
        return control_plane(props.get("owner")).subscribe_group(
            props["profile"],
            props["group_id"],
            GroupAssignmentArgs.model_validate(props).tier,
            owner=props.get("owner"),
            adopt=bool(props.get("adopt")),
        )
    except KiroError as exc:
        raise translate(exc) from None


def outputs(view: GroupSubscription, props: dict[str, Any]) -> dict[str, Any]:
    """Every output of a GroupAssignment, members ordered by user name."""
    return {
        **_inputs(props),
        "group_id": view.group.group_id,
        "group_name": view.group.group_name,
        "member_count": view.member_count,
        "members": [
            {
                "user_id": m.user_id,
                "user_name": m.user_name,
                "status": m.status.value,
                "effective_tier": m.effective_tier.value,
            }
            for m in sorted(view.members, key=lambda m: (m.user_name, m.user_id))
        ],
    }
