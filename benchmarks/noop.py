"""The engine's floor: a dynamic resource whose provider lives in an importable module and does
nothing. dill pickles its provider by reference (a few dozen bytes), like pulumi-kiro's."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider


class NoopProvider(ResourceProvider):
    """Creates nothing, reads back what it was given: every cost left is the engine's."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=props["key"], outs=props)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=props, inputs=props)


class Noop(Resource):
    """A no-op resource with the same inputs as a kiro Subscription (a user and a tier)."""

    def __init__(self, name: str, user: str, tier: str) -> None:
        super().__init__(NoopProvider(), name, {"key": name, "user": user, "tier": tier})


def declare(count: int) -> None:
    """Declare ``count`` no-op resources named like the scale program's Subscriptions."""
    tiers = ("Pro", "Pro+", "Power")
    for i in range(count):
        Noop(f"user-{i:05d}", user=f"user-{i:05d}", tier=tiers[i % 3])


__all__ = ["Noop", "NoopProvider", "declare", "pulumi"]
