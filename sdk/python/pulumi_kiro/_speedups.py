"""Speed-ups that reach into the Pulumi SDK's private names, each one applied only where the
installed SDK has those names in the shape it relies on.

Private names change between minor releases (3.139 and 3.180 have no ``_get_stack_trace``,
3.200 no ``_OutputData``), and a user pins whichever SDK their project already has. So each
speed-up is probed once, at import: where its names are missing or differ, the SDK's own path
runs instead, with the same resources, outputs, state and errors; only slower.
``PULUMI_KIRO_SDK_SPEEDUPS=off`` turns every speed-up off (to compare, or to rule them out).

- ``program_stack_trace``: the stack trace recorded with a resource holds only the program's
  own frames (the SDK's holds ours, asyncio's and the language host's too, ~1.1 KB of every
  resource's state), read straight off the interpreter's frames.
- ``transfer_properties``: an Output of one future per property (the SDK's costs four futures
  and a task each), as the SDK already makes a resource's ``urn`` and ``id``.
- ``serialize_provider``: a provider class serialized once, not dill-pickled per resource.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import itertools
import os
import sys
import sysconfig
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pulumi
import pulumi.dynamic.dynamic as _dynamic
import pulumi.output as _output
import pulumi.runtime.resource as _runtime_resource
import pulumi.runtime.rpc as _rpc
from pulumi.runtime.proto import source_pb2

#: Set to ``off`` (or ``0``, ``false``) to run the SDK's own path everywhere.
SWITCH = "PULUMI_KIRO_SDK_SPEEDUPS"


def _enabled() -> bool:
    return os.environ.get(SWITCH, "on").strip().lower() not in ("off", "0", "false", "no")


def _parameters(function: Any) -> list[str] | None:
    """The names of ``function``'s parameters, or None when it is not a plain callable."""
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None


def _attribute(module: ModuleType | type, name: str, parameters: list[str]) -> Any:
    """``module.name`` when it is a callable taking exactly ``parameters``, else None."""
    value = getattr(module, name, None)
    return value if _parameters(value) == parameters else None


# --- probes: each names what it relies on; None means "use the SDK's own path" ---------------


def _probe_stack_trace() -> Callable[[], Any] | None:
    """The SDK's ``_get_stack_trace()``, when it is looked up at registration (a module
    attribute) and the protocol has the messages a program's trace is built from."""
    original = _attribute(_runtime_resource, "_get_stack_trace", [])
    messages = ("StackTrace", "StackFrame", "SourcePosition")
    if original is None or not all(hasattr(source_pb2, name) for name in messages):
        return None
    return original


def _probe_transfer_properties() -> Callable[..., dict[str, Any]] | None:
    """The SDK's ``rpc.transfer_properties(res, props, custom)``, when the single-future path
    it is replaced with has what it builds on: ``_OutputData(resources, value, is_known,
    is_secret)`` and ``Output._from_data(data)``."""
    data: Any = getattr(_output, "_OutputData", None)
    is_data = isinstance(data, type) and dataclasses.is_dataclass(data)
    fields = {field.name for field in dataclasses.fields(data)} if is_data else set()
    if fields != {"resources", "value", "is_known", "is_secret"}:
        return None
    if _attribute(pulumi.Output, "_from_data", ["data"]) is None:
        return None
    return _attribute(_rpc, "transfer_properties", ["res", "props", "custom"])


def _probe_serialize_provider() -> Callable[[Any], str] | None:
    """``pulumi.dynamic.dynamic.serialize_provider(provider)``, what ``pulumi.dynamic.Resource``
    stores under ``__provider``."""
    if getattr(_dynamic, "PROVIDER_KEY", None) != "__provider":
        return None
    return _attribute(_dynamic, "serialize_provider", ["provider"])


@dataclass(frozen=True)
class Speedups:
    """The speed-ups the installed SDK allows. Each holds the SDK's own function it replaces or
    builds on, or None where the SDK's own path runs."""

    #: ``pulumi.runtime.resource._get_stack_trace``, replaced while a resource registers.
    stack_trace: Callable[[], Any] | None
    #: ``pulumi.runtime.rpc.transfer_properties``, replaced while a resource registers.
    transfer_properties: Callable[..., dict[str, Any]] | None
    #: ``pulumi.dynamic.dynamic.serialize_provider``, called once per provider class.
    serialize_provider: Callable[[Any], str] | None


def probe(enabled: bool = True) -> Speedups:
    """What the SDK imported now allows (nothing when ``enabled`` is False)."""
    if not enabled:
        return Speedups(None, None, None)
    return Speedups(_probe_stack_trace(), _probe_transfer_properties(), _probe_serialize_provider())


#: Probed once, at import.
ACTIVE = probe(_enabled())


# --- the program's own stack trace --------------------------------------------------------------

_SDK_DIR = Path(__file__).resolve().parent.as_uri() + "/"
_PULUMI_DIR = Path(pulumi.__file__).resolve().parent.as_uri() + "/"
_NOT_PROGRAM = (_PULUMI_DIR, Path(sysconfig.get_paths()["stdlib"]).resolve().as_uri() + "/")


@functools.lru_cache(maxsize=1024)
def _file_uri(filename: str) -> str:
    """A source file's URI as the SDK records it; empty for what has no path (frozen modules)."""
    try:
        return Path(filename).as_uri()
    except ValueError:
        return ""


def _program_positions(positions: Iterable[tuple[str, int]]) -> Iterator[tuple[str, int]]:
    """The (uri, line) of the user's program among ``positions``, innermost first: after the
    SDK registering the resource and our resource classes, before the runtime that started it.
    (The SDK's ``traceback.extract_stack`` reads every frame's source line too, ~0.2 ms a
    resource, for a position that needs only the file and the line.)"""
    ours = (_SDK_DIR, _PULUMI_DIR)
    for uri, line in itertools.dropwhile(lambda position: position[0].startswith(ours), positions):
        if not uri or uri.startswith(_NOT_PROGRAM) or uri.endswith("pulumi-language-python-exec"):
            return
        yield uri, line


def _interpreter_positions() -> Iterator[tuple[str, int]]:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        yield _file_uri(frame.f_code.co_filename), frame.f_lineno
        frame = frame.f_back


def _program_stack_trace() -> Any:
    program = [
        source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri=uri, line=line))
        for uri, line in _program_positions(_interpreter_positions())
    ]
    original = ACTIVE.stack_trace
    if not program and original is not None:
        return original()  # an unexpected shape: keep the SDK's trace, not none
    return source_pb2.StackTrace(frames=program)


# --- outputs of one future each -----------------------------------------------------------------


def _property_output(resource: pulumi.Resource) -> tuple[_rpc.Resolver, pulumi.Output[Any]]:
    """An unresolved output of ``resource`` and the resolver that settles it."""
    data: asyncio.Future[Any] = asyncio.Future()

    def resolve(
        value: Any,
        is_known: bool,
        is_secret: bool,
        deps: set[pulumi.Resource] | None,
        failed: Exception | None,
    ) -> None:
        if failed is not None:
            data.set_exception(failed)
            return
        resources = set(deps) if deps else set()
        resources.add(resource)
        data.set_result(
            _output._OutputData(
                resources=resources, value=value, is_known=is_known, is_secret=is_secret
            )
        )

    return resolve, pulumi.Output._from_data(data)


def transfer_properties(
    res: pulumi.Resource, props: Mapping[str, pulumi.Input[Any]], custom: bool
) -> dict[str, _rpc.Resolver]:
    """``rpc.transfer_properties`` (same signature and contract): an Output for each property
    in the resource's ``__dict__`` (so exporting a whole resource still exports them all),
    settled with the same value, known, secret and dependencies, or the same exception."""
    resolvers: dict[str, _rpc.Resolver] = {}
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # the SDK resolves these two itself
        resolvers[name], res.__dict__[name] = _property_output(res)
    return resolvers


@contextmanager
def registration() -> Iterator[None]:
    """While a pulumi-kiro resource is constructed: the speed-ups this SDK allows."""
    # Registration reads these module attributes synchronously inside Resource.__init__, and a
    # Pulumi program constructs resources on one thread: a scoped swap affects no one else.
    active = ACTIVE
    if active.stack_trace is not None:
        _runtime_resource._get_stack_trace = _program_stack_trace
    if active.transfer_properties is not None:
        _rpc.transfer_properties = transfer_properties
    try:
        yield
    finally:
        if active.stack_trace is not None:
            _runtime_resource._get_stack_trace = active.stack_trace
        if active.transfer_properties is not None:
            _rpc.transfer_properties = active.transfer_properties
