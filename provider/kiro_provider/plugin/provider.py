"""The ``kiro`` provider plugin: the resource providers behind Pulumi's provider protocol.

A thin adapter. Every call is handed to the very provider object the Python SDK's dynamic
resources use (``kiro_provider.resources``), so every rule is written once: properties are
renamed camelCase <-> snake_case, unknown values become the provider's preview sentinel, the
resource's owner is derived from its URN (the Python SDK stamps it as an input), and a lookup
from the id alone lets ``pulumi import`` adopt what exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pulumi.dynamic import CheckFailure as DynamicCheckFailure
from pulumi.dynamic import ConfigureRequest as DynamicConfigureRequest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.config import Config as DynamicConfig
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from kiro_provider.plugin.names import camel, snake
from kiro_provider.plugin.schema import PACKAGE
from kiro_provider.resources import (
    GroupAssignmentProvider,
    ProfileSettingsProvider,
    SubscriptionProvider,
)
from kiro_provider.resources.base import UNKNOWN
from kiro_provider.resources.imports import import_props

#: The resource providers by type token: the same classes the Python SDK registers.
PROVIDERS: Mapping[str, ResourceProvider] = {
    "kiro:index:Subscription": SubscriptionProvider(),
    "kiro:index:GroupAssignment": GroupAssignmentProvider(),
    "kiro:index:ProfileSettings": ProfileSettingsProvider(),
}

T = TypeVar("T")


# --- values ---------------------------------------------------------------------------------


def to_python(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """Wire properties (camelCase PropertyValues) as the providers take them (snake_case
    plain values; an unknown becomes the SDK's preview sentinel, as in dynamic providers)."""
    return {snake(key): _plain(value) for key, value in values.items()}


def _plain(value: PropertyValue) -> Any:
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {snake(k): _plain(v) for k, v in inner.items()}
    if isinstance(inner, tuple):
        return [_plain(item) for item in inner]
    return inner


def to_wire(values: Mapping[str, Any]) -> dict[str, PropertyValue]:
    """Provider properties (snake_case) as wire properties (camelCase PropertyValues)."""
    return {camel(key): _wire(value) for key, value in values.items()}


def _wire(value: Any) -> PropertyValue:
    if isinstance(value, str) and value == UNKNOWN:
        return PropertyValue.computed()
    if isinstance(value, Mapping):
        return PropertyValue({camel(k): _wire(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return PropertyValue([_wire(item) for item in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))  # the protocol's numbers are doubles
    return PropertyValue(value)


def owner_of(urn: str) -> str:
    """``project/stack/name``, as the Python SDK stamps ``owner``, from
    ``urn:pulumi:STACK::PROJECT::TYPE::NAME``."""
    parts = urn.split("::")
    stack = parts[0].removeprefix("urn:pulumi:")
    return f"{parts[1]}/{stack}/{parts[-1]}"


def stack_config(request: ConfigureRequest) -> dict[str, str]:
    """The provider's configuration as stack config keys (``kiro:ledger``): the provider's
    inputs (the stack's ``kiro:*`` config, or an explicit provider's properties), then the
    deprecated ``variables`` (keyed ``kiro:config:ledger``)."""
    config = {
        f"{PACKAGE}:{key}": value.value
        for key, value in request.args.items()
        if isinstance(value.value, str)
    }
    for key, value in request.variables.items():
        namespace, mark, name = key.partition(":config:")
        if mark and namespace == PACKAGE:
            config.setdefault(f"{PACKAGE}:{name}", value)
    return config


def failure(item: DynamicCheckFailure) -> CheckFailure:
    """A provider's check failure, naming the wire (camelCase) property."""
    return CheckFailure(camel(item.property), item.reason)


# --- the provider -----------------------------------------------------------------------------


class KiroProvider(Provider):
    """Serves ``kiro:index:*`` by delegating every call to ``PROVIDERS``."""

    def __init__(self, schema_path: Path) -> None:
        self._schema = schema_path.read_text(encoding="utf-8")

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(self._schema)

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        """Keep the ``kiro:*`` config for every later call, as the dynamic providers do.
        No previews of create/update: the engine shows their outputs as unknown."""
        config = DynamicConfigureRequest(DynamicConfig(stack_config(request), project_name=PACKAGE))
        for provider in PROVIDERS.values():
            provider.configure(config)
        return ConfigureResponse(accept_secrets=True, supports_preview=False)

    async def check(self, request: CheckRequest) -> CheckResponse:
        news = {**to_python(request.new_inputs), "owner": owner_of(request.urn)}
        olds = to_python(request.old_inputs)
        result = await _call(_provider(request.urn).check, olds, news)
        failures = [failure(item) for item in result.failures or []]
        return CheckResponse(to_wire(result.inputs or {}), failures or None)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        olds = to_python(request.old_state)
        news = to_python(request.new_inputs)
        result = await _call(_provider(request.urn).diff, request.resource_id, olds, news)
        replaces = [camel(key) for key in result.replaces or []]
        changed = [camel(key) for key in _changed_inputs(olds, news)] if result.changes else []
        detail = {key: PropertyDiff(PropertyDiffKind.UPDATE, True) for key in changed}
        detail.update(
            {key: PropertyDiff(PropertyDiffKind.UPDATE_REPLACE, True) for key in replaces}
        )
        return DiffResponse(
            changes=bool(result.changes),
            replaces=replaces,
            delete_before_replace=bool(result.delete_before_replace),
            diffs=sorted(detail),
            detailed_diff=detail,
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        props = to_python(request.properties)
        result = await _call(_provider(request.urn).create, props)
        return CreateResponse(result.id, to_wire(result.outs or {}))

    async def read(self, request: ReadRequest) -> ReadResponse:
        props = to_python(request.properties) or import_props(request.type, request.resource_id)
        if props is None:
            return ReadResponse()  # nothing by that id: the engine reports it as not found
        result = await _call(_provider(request.urn).read, request.resource_id, props)
        if not result.id:
            return ReadResponse()
        return ReadResponse(result.id, to_wire(result.outs or {}), to_wire(result.inputs or {}))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        olds, news = to_python(request.olds), to_python(request.news)
        result = await _call(_provider(request.urn).update, request.resource_id, olds, news)
        return UpdateResponse(to_wire(result.outs or {}))

    async def delete(self, request: DeleteRequest) -> None:
        props = to_python(request.properties)
        await _call(_provider(request.urn).delete, request.resource_id, props)


def _provider(urn: str) -> ResourceProvider:
    token = urn.split("::")[-2].split("$")[-1]
    try:
        return PROVIDERS[token]
    except KeyError:
        raise ValueError(f"kiro: unknown resource type {token!r}") from None


def _changed_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The inputs whose value differs: what the CLI lists under an update the provider's diff
    decided on (the owner is the URN's, never a change of its own)."""
    return [key for key in news if key != "owner" and olds.get(key) != news.get(key)]


async def _call(fn: Callable[..., T], *args: Any) -> T:
    """Run a provider method (blocking: SQLite, boto3) off the event loop, as the dynamic
    provider host does with its worker threads."""
    return await asyncio.to_thread(fn, *args)
