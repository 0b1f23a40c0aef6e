"""``kiro.Subscription``: one user's direct subscription in a profile.

The declared ``tier`` is the target of this resource's direct assignment; what Kiro's rules make
of it (an immediate upgrade, a downgrade deferred to the 1st, a higher tier through a group) is
reported in the outputs. A deferred downgrade is therefore never drift.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from kiro_provider.controlplane import UserSubscription
from kiro_provider.domain.calendar import iso_utc
from kiro_provider.domain.tiers import Status
from kiro_provider.errors import KiroError, NotFoundError
from kiro_provider.resources.args import UNKNOWN, SubscriptionArgs, is_unknown
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


class SubscriptionProvider(KiroResourceProvider):
    """Lifecycle of ``kiro.Subscription`` over the control plane."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        args, failures = parse_args(SubscriptionArgs, news)
        if args is None:
            return CheckResult(news, failures)
        return checked(lambda: self._resolve(args, olds))

    def _resolve(self, args: SubscriptionArgs, olds: dict[str, Any]) -> dict[str, Any]:
        """The checked inputs: canonical tier, profile and user id (preview-safe lookups)."""
        cp = control_plane(args.owner)
        inputs: dict[str, Any] = {
            "user": args.user,
            "tier": args.tier.value,
            "profile": resolve_profile(cp, args.profile, current_config().profile),
            "owner": args.owner,
            "adopt": args.adopt,
            "user_id": UNKNOWN,
        }
        if is_unknown(args.user):
            return inputs
        user = cp.find_user(args.user)
        inputs["user_id"] = user.user_id
        if olds.get("user_id") != inputs["user_id"] or olds.get("profile") != inputs["profile"]:
            view = cp.describe_user(inputs["profile"], user.user_id)
            check_claim(view.direct if view else None, "user", user.user_name, inputs)
        return inputs

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = changed_keys(olds, news, ("user_id", "profile"))
        changes = changed_keys(olds, news, ("tier",))
        return DiffResult(
            changes=bool(replaces or changes), replaces=replaces, delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        view = _subscribe(props)
        return CreateResult(view.subscription_id, outputs(view, props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outputs(_subscribe(news), news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        view = control_plane(props.get("owner")).describe_user(props["profile"], props["user_id"])
        direct = view.direct if view else None
        if view is None or direct is None or view.status is Status.CANCELED:
            return ReadResult(None, {})  # gone: the next `up` subscribes again
        live = {**props, "tier": direct.tier.value}
        return read_result(id_, outputs(view, live), _inputs(live))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            control_plane(props.get("owner")).unsubscribe_user(props["profile"], props["user_id"])
        except NotFoundError:
            pass  # the user or profile is gone already: nothing left to remove
        except KiroError as exc:
            raise translate(exc) from None


_INPUT_KEYS = ("user", "tier", "profile", "owner", "adopt", "user_id")


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in _INPUT_KEYS}


def _subscribe(props: dict[str, Any]) -> UserSubscription:
    try:
        return control_plane(props.get("owner")).subscribe_user(
            props["profile"],
            props["user_id"],
            SubscriptionArgs.model_validate(props).tier,
            owner=props.get("owner"),
            adopt=bool(props.get("adopt")),
        )
    except KiroError as exc:
        raise translate(exc) from None


def outputs(view: UserSubscription, props: dict[str, Any]) -> dict[str, Any]:
    """Every output of a Subscription: the declared inputs and what the rules made of them."""
    return {
        **_inputs(props),
        "user_id": view.user.user_id,
        "user_name": view.user.user_name,
        "subscription_id": view.subscription_id,
        "status": view.status.value,
        "effective_tier": view.plan_name,
        "pending_tier": view.pending_tier.value if view.pending_tier else None,
        "pending_effective_at": iso_utc(view.pending_effective_at),
        "credits": view.credits,
    }
