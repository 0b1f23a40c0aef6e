"""The ``kiro`` provider plugin: the resource providers behind Pulumi's provider protocol.

A thin adapter over the protocol's own messages (``pulumi.runtime.proto``, stable across every
supported SDK release; the SDK's provider framework is not, so it is not used). Every call is
handed to the very provider object the Python SDK's dynamic resources use
(``kiro_provider.resources``), so every rule is written once: properties are renamed
camelCase <-> snake_case, the resource's owner is derived from its URN (the Python SDK stamps it
as an input), and a lookup from the id alone lets ``pulumi import`` adopt what exists.

Unknown values need no translation: the engine sends them as the very sentinel string the
dynamic providers use (``resources.args.UNKNOWN``) and reads that string back as unknown.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.json_format import MessageToDict
from pulumi.dynamic import CheckFailure as DynamicCheckFailure
from pulumi.dynamic import ConfigureRequest as DynamicConfigureRequest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.config import Config as DynamicConfig
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from kiro_provider.plugin.names import camel, snake
from kiro_provider.plugin.schema import PACKAGE
from kiro_provider.resources import (
    GroupAssignmentProvider,
    ProfileSettingsProvider,
    SubscriptionProvider,
)
from kiro_provider.resources.base import ProviderError
from kiro_provider.resources.imports import import_props

#: The resource providers by type token: the same classes the Python SDK registers.
PROVIDERS: Mapping[str, ResourceProvider] = {
    "kiro:index:Subscription": SubscriptionProvider(),
    "kiro:index:GroupAssignment": GroupAssignmentProvider(),
    "kiro:index:ProfileSettings": ProfileSettingsProvider(),
}

#: How the engine marks a secret when a provider accepts secrets. This one does not (see
#: ``Configure``), so the engine unwraps them; a secret still met is read as its value.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

T = TypeVar("T")
Context = Any  # grpc.aio.ServicerContext: untyped


# --- values ---------------------------------------------------------------------------------


def to_python(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Wire properties (a camelCase Struct) as the providers take them (snake_case plain
    values; numbers are the protocol's doubles)."""
    return {snake(key): _plain(value) for key, value in MessageToDict(struct).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return _plain(value.get("value"))
        return {snake(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def to_wire(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """Provider properties (snake_case) as wire properties (a camelCase Struct)."""
    struct = struct_pb2.Struct()
    struct.update({camel(key): _wire(value) for key, value in values.items()})
    return struct


def _wire(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {camel(key): _wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(item) for item in value]
    return value


def owner_of(urn: str) -> str:
    """``project/stack/name``, as the Python SDK stamps ``owner``, from
    ``urn:pulumi:STACK::PROJECT::TYPE::NAME``."""
    parts = urn.split("::")
    stack = parts[0].removeprefix("urn:pulumi:")
    return f"{parts[1]}/{stack}/{parts[-1]}"


def stack_config(request: provider_pb2.ConfigureRequest) -> dict[str, str]:
    """The provider's configuration as stack config keys (``kiro:ledger``): the provider's
    inputs (the stack's ``kiro:*`` config, or an explicit provider's properties), then the
    deprecated ``variables`` (keyed ``kiro:config:ledger``)."""
    config = {
        f"{PACKAGE}:{key}": value
        for key, value in MessageToDict(request.args).items()
        if isinstance(value, str)
    }
    for key, value in request.variables.items():
        namespace, mark, name = key.partition(":config:")
        if mark and namespace == PACKAGE:
            config.setdefault(f"{PACKAGE}:{name}", value)
    return config


def failure(item: DynamicCheckFailure) -> provider_pb2.CheckFailure:
    """A provider's check failure, naming the wire (camelCase) property."""
    return provider_pb2.CheckFailure(property=camel(item.property), reason=item.reason)


# --- the provider -----------------------------------------------------------------------------


class KiroProvider(provider_pb2_grpc.ResourceProviderServicer):
    """Serves ``kiro:index:*`` by delegating every call to ``PROVIDERS``. What it does not
    implement (invoke, call, construct, ...) the base class answers UNIMPLEMENTED."""

    def __init__(self, schema_path: Path, version: str) -> None:
        self._schema = schema_path.read_text(encoding="utf-8")
        self._version = version

    async def GetPluginInfo(self, request: empty_pb2.Empty, context: Context) -> Any:
        return plugin_pb2.PluginInfo(version=self._version)

    async def GetSchema(self, request: provider_pb2.GetSchemaRequest, context: Context) -> Any:
        return provider_pb2.GetSchemaResponse(schema=self._schema)

    async def CheckConfig(self, request: provider_pb2.CheckRequest, context: Context) -> Any:
        """The configuration is checked where it is used (the ledger, the directory), with
        the resource whose call needs it."""
        return provider_pb2.CheckResponse(inputs=request.news)

    async def DiffConfig(self, request: provider_pb2.DiffRequest, context: Context) -> Any:
        """No opinion: the engine compares the configuration itself. A changed configuration
        never replaces the provider's resources."""
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_UNKNOWN)

    async def Configure(self, request: provider_pb2.ConfigureRequest, context: Context) -> Any:
        """Keep the ``kiro:*`` config for every later call, as the dynamic providers do.
        No previews of create/update: the engine shows their outputs as unknown. No secrets:
        nothing here is secret, and the engine keeps an output secret when its input was."""
        config = DynamicConfigureRequest(DynamicConfig(stack_config(request), project_name=PACKAGE))
        for resource_provider in PROVIDERS.values():
            resource_provider.configure(config)
        return provider_pb2.ConfigureResponse(acceptSecrets=False, supportsPreview=False)

    async def Check(self, request: provider_pb2.CheckRequest, context: Context) -> Any:
        news = {**to_python(request.news), "owner": owner_of(request.urn)}
        olds = to_python(request.olds)
        result = await _answer(context, _provider(request.urn).check, olds, news)
        return provider_pb2.CheckResponse(
            inputs=to_wire(result.inputs or {}),
            failures=[failure(item) for item in result.failures or []],
        )

    async def Diff(self, request: provider_pb2.DiffRequest, context: Context) -> Any:
        olds, news = to_python(request.olds), to_python(request.news)
        result = await _answer(context, _provider(request.urn).diff, request.id, olds, news)
        replaces = [camel(key) for key in result.replaces or []]
        changed = [camel(key) for key in _changed_inputs(olds, news)] if result.changes else []
        update, replace = provider_pb2.PropertyDiff.UPDATE, provider_pb2.PropertyDiff.UPDATE_REPLACE
        detail = {key: provider_pb2.PropertyDiff(kind=update, inputDiff=True) for key in changed}
        detail.update(
            {key: provider_pb2.PropertyDiff(kind=replace, inputDiff=True) for key in replaces}
        )
        some, none = provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE
        return provider_pb2.DiffResponse(
            changes=some if result.changes else none,
            replaces=replaces,
            deleteBeforeReplace=bool(result.delete_before_replace),
            diffs=sorted(detail),
            detailedDiff=detail,
            hasDetailedDiff=True,
        )

    async def Create(self, request: provider_pb2.CreateRequest, context: Context) -> Any:
        props = to_python(request.properties)
        result = await _answer(context, _provider(request.urn).create, props)
        return provider_pb2.CreateResponse(id=result.id, properties=to_wire(result.outs or {}))

    async def Read(self, request: provider_pb2.ReadRequest, context: Context) -> Any:
        props = to_python(request.properties) or import_props(_token(request.urn), request.id)
        if props is None:
            return provider_pb2.ReadResponse()  # nothing by that id: the engine says not found
        result = await _answer(context, _provider(request.urn).read, request.id, props)
        if not result.id:
            return provider_pb2.ReadResponse()
        return provider_pb2.ReadResponse(
            id=result.id,
            properties=to_wire(result.outs or {}),
            inputs=to_wire(getattr(result, "inputs", None) or {}),
        )

    async def Update(self, request: provider_pb2.UpdateRequest, context: Context) -> Any:
        olds, news = to_python(request.olds), to_python(request.news)
        result = await _answer(context, _provider(request.urn).update, request.id, olds, news)
        return provider_pb2.UpdateResponse(properties=to_wire(result.outs or {}))

    async def Delete(self, request: provider_pb2.DeleteRequest, context: Context) -> Any:
        props = to_python(request.properties)
        await _answer(context, _provider(request.urn).delete, request.id, props)
        return empty_pb2.Empty()

    async def Cancel(self, request: empty_pb2.Empty, context: Context) -> Any:
        return empty_pb2.Empty()


def _token(urn: str) -> str:
    return urn.split("::")[-2].split("$")[-1]


def _provider(urn: str) -> ResourceProvider:
    token = _token(urn)
    try:
        return PROVIDERS[token]
    except KeyError:
        raise ValueError(f"kiro: unknown resource type {token!r}") from None


def _changed_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The inputs whose value differs: what the CLI lists under an update the provider's diff
    decided on (the owner is the URN's, never a change of its own)."""
    return [key for key in news if key != "owner" and olds.get(key) != news.get(key)]


async def _answer(context: Context, fn: Callable[..., T], *args: Any) -> T:
    """Run a provider method (blocking: SQLite, boto3) off the event loop, as the dynamic
    provider host does with its worker threads. A control-plane refusal reaches the engine as
    its own message; anything else is a bug and keeps its stack trace."""
    try:
        return await asyncio.to_thread(fn, *args)
    except ProviderError as refusal:
        await _abort(context, str(refusal))
    except Exception as bug:  # reported to the engine, which ends the run
        await _abort(context, f"{bug!r}\n{traceback.format_exc()}")


async def _abort(context: Context, message: str) -> NoReturn:
    await context.abort(grpc.StatusCode.UNKNOWN, message)
    raise AssertionError("grpc's abort returned")  # it raises; this keeps the types honest
