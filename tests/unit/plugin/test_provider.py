"""The plugin's provider: the resource providers behind Pulumi's provider protocol, called
directly (no engine): names, owners, unknowns, failures, lifecycle and import by id."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    GetSchemaRequest,
    ReadRequest,
    UpdateRequest,
)

from kiro_provider.domain.tiers import Tier
from kiro_provider.plugin.provider import (
    KiroProvider,
    owner_of,
    stack_config,
    to_python,
    to_wire,
)
from kiro_provider.resources import SubscriptionProvider
from kiro_provider.resources.base import UNKNOWN
from tests.e2e.harness import REPO

from .conftest import World

T = TypeVar("T")
SUB = "urn:pulumi:dev::proj::kiro:index:Subscription::alice"
GROUP = "urn:pulumi:dev::proj::kiro:index:GroupAssignment::eng"
SETTINGS = "urn:pulumi:dev::proj::kiro:index:ProfileSettings::settings"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def plugin() -> KiroProvider:
    return KiroProvider(REPO / "schema.json")


def wire(**values: Any) -> dict[str, PropertyValue]:
    return to_wire(values)


def plain(values: dict[str, PropertyValue]) -> dict[str, Any]:
    """Wire values back to plain camelCase (to read assertions in the wire's names)."""
    return {key: _plain(value) for key, value in values.items()}


def _plain(value: PropertyValue) -> Any:
    inner = value.value
    if isinstance(inner, tuple):
        return [_plain(item) for item in inner]
    if hasattr(inner, "items"):
        return {k: _plain(v) for k, v in inner.items()}
    return inner


def check(urn: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
    return run(plugin().check(CheckRequest(urn, to_wire(olds), to_wire(news), b"")))


def test_names_owner_and_unknowns_map_both_ways() -> None:
    assert owner_of(SUB) == "proj/dev/alice"
    values = {"effective_tier": "Pro", "credits": 1000, "members": [{"user_id": "u"}]}
    out = to_wire(values)
    assert set(out) == {"effectiveTier", "credits", "members"}
    assert out["credits"].value == 1000.0
    assert to_python(out) == {
        "effective_tier": "Pro",
        "credits": 1000.0,
        "members": [{"user_id": "u"}],
    }
    assert to_python({"user": PropertyValue(Computed())}) == {"user": UNKNOWN}
    assert isinstance(to_wire({"user_id": UNKNOWN})["userId"].value, Computed)


def test_get_schema_serves_schema_json() -> None:
    served = run(plugin().get_schema(GetSchemaRequest(0))).schema
    assert served == (REPO / "schema.json").read_text()


def test_check_canonicalises_and_stamps_the_owner(world: World) -> None:
    result = check(SUB, {}, {"user": "alice@example.com", "tier": "pro+"})
    assert result.failures is None
    inputs = plain(result.inputs)
    assert inputs["tier"] == "Pro+"
    assert inputs["userId"] == world.ids["alice"]
    assert inputs["owner"] == "proj/dev/alice"
    assert inputs["profile"] == "default"


def test_check_failures_are_the_dynamic_providers_on_camel_case_properties(world: World) -> None:
    result = check(SUB, {}, {"user": "alice", "tier": "Gold"})
    dynamic = SubscriptionProvider().check({}, {"user": "alice", "tier": "Gold", "owner": "o"})
    assert [(f.property, f.reason) for f in result.failures] == [
        (f.property, f.reason) for f in dynamic.failures
    ]
    assert "expected one of Pro, Pro+, Power" in result.failures[0].reason
    capped = check(SETTINGS, {}, {"overagesEnabled": True, "overageCap": 100.0})
    assert [f.property for f in capped.failures] == ["overageCap"]
    assert "not supported by Kiro yet" in capped.failures[0].reason


def test_unknown_user_during_preview_stays_unknown(world: World) -> None:
    news = {"user": PropertyValue(Computed()), "tier": PropertyValue("Pro")}
    result = run(plugin().check(CheckRequest(SUB, {}, news, b"")))
    assert result.failures is None
    assert isinstance(result.inputs["userId"].value, Computed)


def test_subscription_lifecycle(world: World) -> None:
    p = plugin()
    inputs = check(SUB, {}, {"user": "alice", "tier": "Pro+"}).inputs
    created = run(p.create(CreateRequest(SUB, inputs, 60, False)))
    outs = plain(created.properties)
    assert (outs["status"], outs["effectiveTier"], outs["credits"]) == ("Pending", "Pro+", 2000.0)
    assert created.resource_id == outs["subscriptionId"]

    same = run(p.diff(DiffRequest(SUB, created.resource_id, created.properties, inputs, [])))
    assert (same.changes, same.replaces) == (False, [])

    lower = check(SUB, plain(inputs), {"user": "alice", "tier": "Pro"}).inputs
    diff = run(p.diff(DiffRequest(SUB, created.resource_id, created.properties, lower, [])))
    assert (diff.changes, diff.replaces, list(diff.detailed_diff)) == (True, [], ["tier"])
    bob = check(SUB, plain(inputs), {"user": "bob", "tier": "Pro+"}).inputs
    moved = run(p.diff(DiffRequest(SUB, created.resource_id, created.properties, bob, [])))
    assert moved.replaces == ["userId"]

    updated = run(
        p.update(UpdateRequest(SUB, created.resource_id, created.properties, lower, 60, [], False))
    )
    outs = plain(updated.properties)
    assert (outs["tier"], outs["effectiveTier"], outs["pendingTier"]) == ("Pro", "Pro+", "Pro")

    read = run(p.read(ReadRequest(SUB, created.resource_id, updated.properties, lower)))
    assert plain(read.inputs)["tier"] == "Pro"
    run(p.delete(DeleteRequest(SUB, created.resource_id, updated.properties, 60)))
    gone = run(p.read(ReadRequest(SUB, created.resource_id, updated.properties, lower)))
    assert gone.resource_id is None


def test_import_reads_a_console_subscription_from_its_id_alone(world: World) -> None:
    sub = world.console().subscribe_user("default", world.ids["bob"], Tier.POWER, owner=None)
    read = run(plugin().read(ReadRequest(SUB, sub.subscription_id, {}, {})))
    assert read.resource_id == sub.subscription_id
    inputs = plain(read.inputs)
    assert (inputs["user"], inputs["tier"], inputs["profile"]) == ("bob", "Power", "default")
    assert plain(read.properties)["userId"] == world.ids["bob"]
    missing = run(plugin().read(ReadRequest(SUB, "no-such-subscription", {}, {})))
    assert missing.resource_id is None


def test_import_of_a_group_assignment_and_settings(world: World) -> None:
    world.console().subscribe_group("default", world.ids["engineering"], Tier.PRO, owner=None)
    group_id = f"default/group/{world.ids['engineering']}"
    read = run(plugin().read(ReadRequest(GROUP, group_id, {}, {})))
    assert plain(read.inputs)["group"] == "engineering"
    assert plain(read.properties)["memberCount"] == 2.0
    assert run(plugin().read(ReadRequest(GROUP, "default/group/nope", {}, {}))).resource_id is None
    settings = run(plugin().read(ReadRequest(SETTINGS, "default", {}, {})))
    assert plain(settings.properties) == {"profile": "default", "overagesEnabled": False}
    assert run(plugin().read(ReadRequest(SETTINGS, "elsewhere", {}, {}))).resource_id is None


@pytest.mark.parametrize(
    "request_",
    [
        ConfigureRequest({}, {"profile": PropertyValue("elsewhere")}, True, True),
        ConfigureRequest({"kiro:config:profile": "elsewhere"}, {}, True, True),
    ],
    ids=["inputs", "deprecated variables"],
)
def test_configure_passes_the_stack_config_to_the_providers(
    world: World, request_: ConfigureRequest
) -> None:
    p = plugin()
    assert stack_config(request_) == {"kiro:profile": "elsewhere"}
    run(p.configure(request_))
    result = run(p.check(CheckRequest(SUB, {}, wire(user="alice", tier="Pro"), b"")))
    assert [f.property for f in result.failures] == ["profile"]
    assert "'elsewhere' is not a Kiro profile" in result.failures[0].reason
