from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider


class NaiveProvider(ResourceProvider):
    """The provider most tutorials write: a class in __main__, which dill pickles by value."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=props["key"], outs=props)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=props, inputs=props)


class Naive(Resource):
    def __init__(self, name: str, user: str, tier: str) -> None:
        super().__init__(NaiveProvider(), name, {"key": name, "user": user, "tier": tier})


tiers = ("Pro", "Pro+", "Power")
for i in range(pulumi.Config().require_int("count")):
    Naive(f"user-{i:05d}", user=f"user-{i:05d}", tier=tiers[i % 3])
