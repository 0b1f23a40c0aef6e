"""The plugin's provider: the resource providers behind Pulumi's provider protocol, called
with the protocol's own messages (no engine): names, owners, unknowns, failures, lifecycle,
import by id, and how errors reach the engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import grpc  # type: ignore[import-untyped]
import pytest
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict
from pulumi.runtime.proto import provider_pb2 as proto

from kiro_provider.domain.tiers import Tier
from kiro_provider.plugin import provider as plugin_provider
from kiro_provider.plugin.provider import KiroProvider, owner_of, stack_config, to_python, to_wire
from kiro_provider.resources import SubscriptionProvider
from kiro_provider.resources.args import UNKNOWN
from kiro_provider.resources.base import ProviderError
from tests.e2e.harness import REPO

from .conftest import World

T = TypeVar("T")
SUB = "urn:pulumi:dev::proj::kiro:index:Subscription::alice"
GROUP = "urn:pulumi:dev::proj::kiro:index:GroupAssignment::eng"
SETTINGS = "urn:pulumi:dev::proj::kiro:index:ProfileSettings::settings"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


class Aborted(Exception):
    pass


class Context:
    """The part of grpc.aio.ServicerContext the provider uses: abort, which raises."""

    def __init__(self) -> None:
        self.aborted: tuple[Any, str] | None = None

    async def abort(self, code: Any, details: str) -> None:
        self.aborted = (code, details)
        raise Aborted(details)


def call(method: Callable[[Any, Any], Coroutine[Any, Any, T]], request: Any) -> T:
    return asyncio.run(method(request, Context()))


def plugin() -> KiroProvider:
    return KiroProvider(REPO / "schema.json", "0.0.0")


def plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Wire values as plain camelCase (to read assertions in the wire's names)."""
    return MessageToDict(struct)


def check(urn: str, olds: dict[str, Any], news: dict[str, Any]) -> proto.CheckResponse:
    request = proto.CheckRequest(urn=urn, olds=to_wire(olds), news=to_wire(news))
    return call(plugin().Check, request)


def test_names_owner_secrets_and_unknowns_map_both_ways() -> None:
    assert owner_of(SUB) == "proj/dev/alice"
    values = {"effective_tier": "Pro", "credits": 1000, "members": [{"user_id": "u"}]}
    out = to_wire(values)
    assert set(out.fields) == {"effectiveTier", "credits", "members"}
    assert out["credits"] == 1000.0
    assert to_python(out) == {
        "effective_tier": "Pro",
        "credits": 1000.0,
        "members": [{"user_id": "u"}],
    }
    secret = struct_pb2.Struct()
    secret.update({"userId": {**SECRET, "value": "u-1"}})
    assert to_python(secret) == {"user_id": "u-1"}
    # The engine's unknown and the dynamic providers' are the same string: it passes as is.
    assert to_python(to_wire({"user_id": UNKNOWN})) == {"user_id": UNKNOWN}


def test_plugin_info_and_schema() -> None:
    assert call(plugin().GetPluginInfo, None).version == "0.0.0"
    served = call(plugin().GetSchema, proto.GetSchemaRequest()).schema
    assert served == (REPO / "schema.json").read_text()


def test_check_canonicalises_and_stamps_the_owner(world: World) -> None:
    result = check(SUB, {}, {"user": "alice@example.com", "tier": "pro+"})
    assert list(result.failures) == []
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
    result = check(SUB, {}, {"user": UNKNOWN, "tier": "Pro"})
    assert list(result.failures) == []
    assert plain(result.inputs)["userId"] == UNKNOWN


def test_subscription_lifecycle(world: World) -> None:
    p = plugin()
    inputs = check(SUB, {}, {"user": "alice", "tier": "Pro+"}).inputs
    created = call(p.Create, proto.CreateRequest(urn=SUB, properties=inputs))
    outs = plain(created.properties)
    assert (outs["status"], outs["effectiveTier"], outs["credits"]) == ("Pending", "Pro+", 2000.0)
    assert created.id == outs["subscriptionId"]

    def diff(news: struct_pb2.Struct) -> proto.DiffResponse:
        request = proto.DiffRequest(urn=SUB, id=created.id, olds=created.properties, news=news)
        return call(p.Diff, request)

    same = diff(inputs)
    assert (same.changes, list(same.replaces)) == (proto.DiffResponse.DIFF_NONE, [])
    lower = check(SUB, plain(inputs), {"user": "alice", "tier": "Pro"}).inputs
    lowered = diff(lower)
    assert (lowered.changes, list(lowered.replaces)) == (proto.DiffResponse.DIFF_SOME, [])
    assert dict(lowered.detailedDiff) == {
        "tier": proto.PropertyDiff(kind=proto.PropertyDiff.UPDATE, inputDiff=True)
    }
    bob = check(SUB, plain(inputs), {"user": "bob", "tier": "Pro+"}).inputs
    moved = diff(bob)
    assert list(moved.replaces) == ["userId"]
    assert moved.detailedDiff["userId"].kind == proto.PropertyDiff.UPDATE_REPLACE

    update = proto.UpdateRequest(urn=SUB, id=created.id, olds=created.properties, news=lower)
    outs = plain(call(p.Update, update).properties)
    assert (outs["tier"], outs["effectiveTier"], outs["pendingTier"]) == ("Pro", "Pro+", "Pro")

    read = proto.ReadRequest(urn=SUB, id=created.id, properties=to_wire(to_python(lower)))
    read.properties.update(outs)
    assert plain(call(p.Read, read).inputs)["tier"] == "Pro"
    call(p.Delete, proto.DeleteRequest(urn=SUB, id=created.id, properties=read.properties))
    assert call(p.Read, read).id == ""


def test_import_reads_a_console_subscription_from_its_id_alone(world: World) -> None:
    sub = world.console().subscribe_user("default", world.ids["bob"], Tier.POWER, owner=None)
    read = call(plugin().Read, proto.ReadRequest(urn=SUB, id=sub.subscription_id))
    assert read.id == sub.subscription_id
    inputs = plain(read.inputs)
    assert (inputs["user"], inputs["tier"], inputs["profile"]) == ("bob", "Power", "default")
    assert plain(read.properties)["userId"] == world.ids["bob"]
    missing = call(plugin().Read, proto.ReadRequest(urn=SUB, id="no-such-subscription"))
    assert missing.id == ""


def test_import_of_a_group_assignment_and_settings(world: World) -> None:
    world.console().subscribe_group("default", world.ids["engineering"], Tier.PRO, owner=None)
    group_id = f"default/group/{world.ids['engineering']}"
    read = call(plugin().Read, proto.ReadRequest(urn=GROUP, id=group_id))
    assert plain(read.inputs)["group"] == "engineering"
    assert plain(read.properties)["memberCount"] == 2.0
    assert call(plugin().Read, proto.ReadRequest(urn=GROUP, id="default/group/nope")).id == ""
    settings = call(plugin().Read, proto.ReadRequest(urn=SETTINGS, id="default"))
    assert plain(settings.properties) == {"profile": "default", "overagesEnabled": False}
    assert call(plugin().Read, proto.ReadRequest(urn=SETTINGS, id="elsewhere")).id == ""


def _configured(args: dict[str, Any], variables: dict[str, str]) -> proto.ConfigureRequest:
    return proto.ConfigureRequest(args=to_wire(args), variables=variables)


@pytest.mark.parametrize(
    "request_",
    [
        _configured({"profile": "elsewhere"}, {}),
        _configured({}, {"kiro:config:profile": "elsewhere"}),
    ],
    ids=["inputs", "deprecated variables"],
)
def test_configure_passes_the_stack_config_to_the_providers(
    world: World, request_: proto.ConfigureRequest
) -> None:
    p = plugin()
    assert stack_config(request_) == {"kiro:profile": "elsewhere"}
    answer = call(p.Configure, request_)
    assert (answer.acceptSecrets, answer.supportsPreview) == (False, False)
    request = proto.CheckRequest(urn=SUB, news=to_wire({"user": "alice", "tier": "Pro"}))
    result = call(p.Check, request)
    assert [f.property for f in result.failures] == ["profile"]
    assert "'elsewhere' is not a Kiro profile" in result.failures[0].reason


def test_config_is_passed_through_and_never_replaces() -> None:
    news = to_wire({"ledger": "kiro.db"})
    assert call(plugin().CheckConfig, proto.CheckRequest(news=news)).inputs == news
    diff = call(plugin().DiffConfig, proto.DiffRequest(news=news))
    assert (diff.changes, list(diff.replaces)) == (proto.DiffResponse.DIFF_UNKNOWN, [])


def _delete_raising(monkeypatch: pytest.MonkeyPatch, error: Exception) -> Context:
    def raising(_id: str, _props: dict[str, Any]) -> None:
        raise error

    monkeypatch.setattr(plugin_provider.PROVIDERS["kiro:index:Subscription"], "delete", raising)
    context = Context()
    with pytest.raises(Aborted):
        asyncio.run(plugin().Delete(proto.DeleteRequest(urn=SUB, id="x"), context))
    assert context.aborted is not None
    assert context.aborted[0] == grpc.StatusCode.UNKNOWN
    return context


def test_a_refusal_reaches_the_engine_as_its_message_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refusal = "Conflict: user: 'alice' is managed by p/s/other"
    context = _delete_raising(monkeypatch, ProviderError(refusal))
    assert context.aborted is not None and context.aborted[1] == refusal


def test_a_bug_keeps_its_stack_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    context = _delete_raising(monkeypatch, KeyError("profile"))
    assert context.aborted is not None
    message = context.aborted[1]
    assert message.startswith("KeyError('profile')")
    assert 'File "' in message and "raising" in message
