"""A resource's outputs over one future each settle exactly as the SDK's own would."""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi
import pulumi.runtime.rpc as rpc
import pytest

import pulumi_kiro as kiro
from pulumi_kiro import _speedups

# What the SDK's own path does is the oracle; where this SDK lacks what the single-future path
# builds on, that path is never used (test_compat proves the fallback).
pytestmark = pytest.mark.skipif(
    _speedups.ACTIVE.transfer_properties is None,
    reason="this SDK has no single-future outputs: its own transfer runs",
)
SDK_TRANSFER = _speedups.ACTIVE.transfer_properties


def _settled(output: pulumi.Output[Any]) -> tuple[Any, bool, bool, set[Any]]:
    async def read() -> tuple[Any, bool, bool, set[Any]]:
        return (
            await output.future(with_unknowns=True),
            await output.is_known(),
            await output.is_secret(),
            await output.resources(),
        )

    return asyncio.get_event_loop().run_until_complete(read())


class _Owner(pulumi.CustomResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:index:Owner", name, {}, pulumi.ResourceOptions())


_FAILURE = RuntimeError("registration failed")


@pytest.mark.parametrize(
    ("value", "is_known", "is_secret", "has_deps"),
    [
        ("Pro+", True, False, False),  # a plain output after `up`
        (None, False, False, False),  # an output not known at preview
        (2000, True, True, False),  # a secret
        ({"a": [1, rpc.UNKNOWN]}, True, False, False),  # unknowns inside: never known
        ("user-1", True, False, True),  # with dependencies of its own
    ],
)
def test_an_output_settles_as_the_sdk_would_settle_it(
    value: Any, is_known: bool, is_secret: bool, has_deps: bool
) -> None:
    owner, dependency = _Owner("owner"), _Owner("dependency")
    deps = {dependency} if has_deps else None
    settled = []
    for transfer in (_speedups.transfer_properties, SDK_TRANSFER):
        resolvers = transfer(owner, {"p": None}, True)
        resolvers["p"](value, is_known, is_secret, deps, None)
        settled.append(_settled(owner.__dict__["p"]))
    ours, the_sdks = settled
    assert ours == the_sdks
    assert owner in ours[3]


def test_a_failed_registration_fails_the_output_with_its_exception() -> None:
    owner = _Owner("owner")
    resolvers = _speedups.transfer_properties(owner, {"status": None}, custom=True)
    resolvers["status"](None, False, False, None, _FAILURE)
    with pytest.raises(RuntimeError, match="registration failed"):
        _settled(owner.__dict__["status"])


def test_urn_and_id_are_left_to_the_sdk() -> None:
    owner = _Owner("owner")
    urn, resource_id = owner.urn, owner.id
    resolvers = _speedups.transfer_properties(owner, {"urn": 1, "id": 2, "x": 3}, custom=True)
    assert list(resolvers) == ["x"]
    assert (owner.urn, owner.id) == (urn, resource_id)


def test_every_property_of_a_subscription_is_an_output_with_its_registered_value() -> None:
    alice = kiro.Subscription("alice", user="alice", tier="pro+")
    # Exporting a whole resource exports what its __dict__ holds: every property, not only
    # those the program read.
    held = {name for name, value in vars(alice).items() if isinstance(value, pulumi.Output)}
    assert set(kiro.Subscription._output_names) | {"adopt", "owner", "urn", "id"} <= held
    value, known, secret, resources = _settled(alice.tier)
    assert (value, known, secret) == ("pro+", True, False)  # the mocks echo the inputs
    assert alice in resources
    assert _settled(alice.owner)[0] == "proj/stack/alice"  # type: ignore[attr-defined]
    # The swap is scoped to our constructor: other resources get the SDK's own transfer.
    assert rpc.transfer_properties is SDK_TRANSFER


def test_a_constructor_that_fails_puts_the_sdk_transfer_back() -> None:
    with pytest.raises(TypeError):
        kiro.Subscription("bad", user="alice", tier="Pro", opts="not options")  # type: ignore[arg-type]
    assert rpc.transfer_properties is SDK_TRANSFER
