"""schema.json is generated, complete, and agrees field for field with the Python SDK and the
resource providers."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

import pulumi_kiro
from kiro_provider.config import STACK_CONFIG_KEYS
from kiro_provider.domain.tiers import Tier
from kiro_provider.plugin import schema
from kiro_provider.plugin.names import camel, snake
from kiro_provider.resources import group_assignment, profile_settings, subscription
from tests.e2e.harness import REPO

SCHEMA: dict[str, Any] = json.loads((REPO / "schema.json").read_text())
SPECS = {spec.token: spec for spec in schema.RESOURCES}


def test_schema_json_is_the_generated_schema() -> None:
    # Regenerate with: python -m kiro_provider.plugin.schema > schema.json
    assert (REPO / "schema.json").read_text() == schema.render()


def test_the_three_resources_have_proper_tokens() -> None:
    assert set(SCHEMA["resources"]) == {
        "kiro:index:Subscription",
        "kiro:index:GroupAssignment",
        "kiro:index:ProfileSettings",
    }
    assert SCHEMA["name"] == "kiro"


@pytest.mark.parametrize("token", list(SPECS))
def test_inputs_are_the_sdk_constructor_parameters(token: str) -> None:
    sdk = getattr(pulumi_kiro, SPECS[token].name)
    params = set(inspect.signature(sdk.__init__).parameters) - {"self", "resource_name", "opts"}
    assert {snake(name) for name in SCHEMA["resources"][token]["inputProperties"]} == params


@pytest.mark.parametrize("token", list(SPECS))
def test_outputs_are_the_sdk_attributes(token: str) -> None:
    sdk = getattr(pulumi_kiro, SPECS[token].name)
    getters = [name for name, value in vars(sdk).items() if isinstance(value, property)]
    assert [snake(n) for n in SCHEMA["resources"][token]["properties"]] == getters


def test_enums_hold_every_tier_and_status() -> None:
    types = SCHEMA["types"]
    assert [e["value"] for e in types["kiro:index:Tier"]["enum"]] == ["Pro", "Pro+", "Power"]
    assert [e["value"] for e in types["kiro:index:Status"]["enum"]] == [
        "Pending",
        "Active",
        "Canceled",
    ]
    sub = SCHEMA["resources"]["kiro:index:Subscription"]["properties"]
    assert sub["effectiveTier"]["$ref"] == "#/types/kiro:index:Tier"
    assert sub["status"]["$ref"] == "#/types/kiro:index:Status"


def test_every_field_is_described() -> None:
    for token, resource in SCHEMA["resources"].items():
        assert resource["description"], token
        for kind in ("inputProperties", "properties"):
            for name, prop in resource[kind].items():
                assert prop["description"].strip(), f"{token}.{kind}.{name}"
    for name, prop in SCHEMA["config"]["variables"].items():
        assert prop["description"].strip(), name


def test_input_descriptions_come_from_args_py() -> None:
    prop = SCHEMA["resources"]["kiro:index:Subscription"]["inputProperties"]["tier"]
    field = subscription.SubscriptionArgs.model_fields["tier"]
    assert prop["description"] == field.description
    assert (
        SCHEMA["resources"]["kiro:index:ProfileSettings"]["inputProperties"]["overagesEnabled"][
            "default"
        ]
        is False
    )


def test_config_is_every_stack_config_key() -> None:
    assert set(SCHEMA["config"]["variables"]) == {
        key.removeprefix("kiro:") for key in STACK_CONFIG_KEYS
    }
    assert set(schema.CONFIG) == set(STACK_CONFIG_KEYS)


def _provider_outputs(world: Any) -> dict[str, dict[str, Any]]:
    cp = world.console()
    ids = world.ids
    sub = cp.subscribe_user("default", ids["alice"], Tier.PRO, owner="o")
    group = cp.subscribe_group("default", ids["engineering"], Tier.PRO, owner="o")
    props = {"user": "alice", "group": "engineering", "tier": "Pro", "profile": "default"}
    return {
        "kiro:index:Subscription": subscription.outputs(sub, props),
        "kiro:index:GroupAssignment": group_assignment.outputs(group, props),
        "kiro:index:ProfileSettings": profile_settings.outputs(cp.get_settings("default")),
    }


def test_schema_properties_are_what_the_providers_output(world: Any) -> None:
    internal = {"owner", "adopt"}  # stamped by the SDK / an input only
    for token, outs in _provider_outputs(world).items():
        properties = set(SCHEMA["resources"][token]["properties"])
        assert {camel(key) for key in outs} - internal == properties, token
    member = SCHEMA["types"]["kiro:index:GroupMember"]["properties"]
    outs = _provider_outputs(world)["kiro:index:GroupAssignment"]["members"]
    assert {camel(key) for key in outs[0]} == set(member)
