"""The engine's floor: a dynamic resource whose provider lives in an importable module and does
nothing. dill pickles its provider by reference (a few dozen bytes), like pulumi-kiro's.

``Shaped`` is the same no-op with a kiro Subscription's shape: the same inputs and outputs (names
and kinds of values) and a plain ``__provider``. Next to it, kiro's own work shows apart from
what the engine and the SDK cost for state of that shape."""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from pulumi_kiro._speedups import registration


class NoopProvider(ResourceProvider):
    """Creates nothing, reads back what it was given: every cost left is the engine's."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=props["key"], outs=props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=news)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=props, inputs=props)


class Noop(Resource):
    """A no-op resource with the same inputs as a kiro Subscription (a user and a tier)."""

    def __init__(self, name: str, user: str, tier: str) -> None:
        super().__init__(NoopProvider(), name, {"key": name, "user": user, "tier": tier})


#: A Subscription's outputs beyond its inputs, with values of the kind kiro reports.
_SUBSCRIPTION_OUTPUTS = {
    "user_name": "user-00000",
    "subscription_id": "sub-00000000000000000000000000000000",
    "status": "Pending",
    "effective_tier": "Pro+",
    "pending_tier": None,
    "pending_effective_at": None,
    "credits": 2000,
}


class ShapedNoopProvider(ResourceProvider):
    """Does nothing, but checks, stores and reads back what a SubscriptionProvider does."""

    serialize_as_secret_always = False  # as kiro's providers: __provider in plain text

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, str(news["user"])))
        return CheckResult({**news, "profile": "default", "user_id": user_id}, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=props["user_id"], outs={**props, **_SUBSCRIPTION_OUTPUTS})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**news, **_SUBSCRIPTION_OUTPUTS})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = {key: props.get(key) for key in _SHAPED_INPUTS}
        return ReadResult(id_=id_, outs=props, inputs=inputs)


_SHAPED_INPUTS = ("user", "tier", "profile", "owner", "adopt", "user_id")


class ShapedGroupProvider(ResourceProvider):
    """Does nothing, but stores and reads back what a GroupAssignmentProvider does: the
    group's inputs, and ``size`` members (id, name, status, tier each) in its outputs."""

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        group_id = str(uuid.uuid5(uuid.NAMESPACE_URL, str(news["group"])))
        return CheckResult({**news, "profile": "default", "group_id": group_id}, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=props["group_id"], outs=self._outputs(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._outputs(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = {key: props.get(key) for key in _SHAPED_GROUP_INPUTS}
        return ReadResult(id_=id_, outs=props, inputs=inputs)

    @staticmethod
    def _outputs(props: dict[str, Any]) -> dict[str, Any]:
        members = [
            {
                "user_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{props['group']}/{k}")),
                "user_name": f"user-{k:05d}",
                "status": "Pending",
                "effective_tier": props["tier"],
            }
            for k in range(int(props["size"]))
        ]
        return {
            **props,
            "group_name": props["group"],
            "member_count": len(members),
            "members": members,
        }


_SHAPED_GROUP_INPUTS = ("group", "tier", "size", "profile", "owner", "adopt", "group_id")


class ShapedGroup(Resource):
    """A no-op resource with a kiro GroupAssignment's inputs and outputs for ``size`` members."""

    def __init__(self, name: str, group: str, tier: str, size: int) -> None:
        props = {
            "group": group,
            "tier": tier,
            "size": size,
            "profile": None,
            "owner": f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}",
            "adopt": False,
            "group_id": None,
            "group_name": None,
            "member_count": None,
            "members": None,
        }
        with registration():
            super().__init__(ShapedGroupProvider(), name, props)


class Shaped(Resource):
    """A no-op resource with a kiro Subscription's inputs and outputs."""

    def __init__(self, name: str, user: str, tier: str) -> None:
        props = {
            "user": user,
            "tier": tier,
            "profile": None,
            "owner": f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}",
            "adopt": False,
            "user_id": None,
            **dict.fromkeys(_SUBSCRIPTION_OUTPUTS),
        }
        with registration():  # kiro's registration: the same stack trace, state and outputs
            super().__init__(ShapedNoopProvider(), name, props)


def declare(count: int, kind: type[Noop] | type[Shaped] = Noop, changed: int = 0) -> None:
    """Declare ``count`` no-op resources named like the scale program's Subscriptions; the
    first ``changed`` of them one tier along, as the organisation program changes them."""
    tiers = ("Pro", "Pro+", "Power")
    for i in range(count):
        kind(f"user-{i:05d}", user=f"user-{i:05d}", tier=tiers[(i + (i < changed)) % 3])


__all__ = [
    "Noop",
    "NoopProvider",
    "Shaped",
    "ShapedGroup",
    "ShapedGroupProvider",
    "ShapedNoopProvider",
    "declare",
]
