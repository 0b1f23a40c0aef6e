"""The base of every pulumi-kiro resource: owner stamping, the pickle-leak guard, a stack trace
that points at the user's program and outputs that cost one future each."""

from __future__ import annotations

import asyncio
import functools
import itertools
import pickle
import sys
import sysconfig
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
import pulumi.runtime.resource as _runtime_resource
import pulumi.runtime.rpc as _rpc
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pulumi.runtime.proto import source_pb2

# pulumi.dynamic.Resource pickles its provider with dill for every resource it constructs
# (~0.15 ms each), and each time wraps pickle._Pickler._batch_setitems (and replaces save_dict)
# once more without restoring them: after ~320 resources pickling recurses too deep
# (RecursionError). Our providers hold nothing, so a provider class always pickles to the same
# few bytes: serialize each class once, with the SDK's own function, put pickle's methods back
# as they were when pulumi_kiro was imported, and register every resource with that value.
_PICKLER: Any = pickle._Pickler
_PATCHED = ("_batch_setitems", "save_dict")
_ORIGINALS = {name: _PICKLER.__dict__[name] for name in _PATCHED if name in _PICKLER.__dict__}
_SERIALIZED_PROVIDERS: dict[type[ResourceProvider], str] = {}


def _serialized_provider(provider_type: type[ResourceProvider]) -> str:
    """The ``__provider`` value of every resource served by ``provider_type``."""
    serialized = _SERIALIZED_PROVIDERS.get(provider_type)
    if serialized is None:
        provider = provider_type()
        if vars(provider):
            raise TypeError(f"{provider_type.__name__} must hold no state to be serialized once")
        # pulumi.dynamic.Resource would wrap the value as a secret for such a provider; the
        # value here is shared by every resource as plain text.
        if getattr(provider, "serialize_as_secret_always", True):
            raise TypeError(f"{provider_type.__name__} must set serialize_as_secret_always = False")
        try:
            serialized = _SERIALIZED_PROVIDERS[provider_type] = serialize_provider(provider)
        finally:
            for name, original in _ORIGINALS.items():
                setattr(_PICKLER, name, original)
    return serialized


# The SDK records, with every resource, the stack from the resource class down to the bottom of
# the interpreter: our two SDK frames first (so the engine would report `_resource.py` as where
# the resource was declared) and ~10 frames of the language host, asyncio and pulumi.runtime
# after the program's own. That is ~1.1 KB of every resource's state, none of it the user's.
# While a pulumi-kiro resource is registered, record only the frames of the program itself.
# They are read straight off the interpreter's frames: the SDK's traceback.extract_stack looks
# up every frame's source line and builds a URI per frame (~0.2 ms a resource), for a position
# that needs only the file and the line number.
_SDK_DIR = Path(__file__).resolve().parent.as_uri() + "/"
_PULUMI_DIR = Path(pulumi.__file__).resolve().parent.as_uri() + "/"
_NOT_PROGRAM = (_PULUMI_DIR, Path(sysconfig.get_paths()["stdlib"]).resolve().as_uri() + "/")
_ORIGINAL_STACK_TRACE: Callable[[], Any] = _runtime_resource._get_stack_trace


@functools.lru_cache(maxsize=1024)
def _file_uri(filename: str) -> str:
    """A source file's URI as the SDK records it; empty for what has no path (frozen modules)."""
    try:
        return Path(filename).as_uri()
    except ValueError:
        return ""


def _program_positions(positions: Iterable[tuple[str, int]]) -> Iterator[tuple[str, int]]:
    """The (uri, line) of the user's program among ``positions``, innermost first: after the
    SDK registering the resource and our resource classes, before the runtime that started it."""
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
    if not program:
        return _ORIGINAL_STACK_TRACE()  # an unexpected shape: keep the SDK's trace, not none
    return source_pb2.StackTrace(frames=program)


# For each property of a resource the SDK makes an Output over four futures (value, known, secret,
# dependencies) and a task that gathers them. With a Subscription's 14 properties that was most
# of the program's time in a drift check: under Pulumi's mocks, 1.7 s of CPU to register 1,000
# Subscriptions, against 1.0 s for 1,000 no-op resources of 4 properties. The SDK gives a
# resource's urn and id one future each (Output._from_data over an _OutputData, an Output's
# resolved form); give every property the same (1.0 s). Same resolver contract, an Output for
# every property in the resource's __dict__ (so exporting a whole resource still exports them
# all), settled with the same value, known, secret and dependencies, or the same exception.
try:
    from pulumi.output import _OutputData

    _output_from_data = pulumi.Output._from_data
except (ImportError, AttributeError):  # an SDK older than these: keep its own transfer
    _OutputData = None  # type: ignore[assignment,misc]
_ORIGINAL_TRANSFER: Callable[..., dict[str, Any]] = _rpc.transfer_properties


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
            _OutputData(resources=resources, value=value, is_known=is_known, is_secret=is_secret)
        )

    return resolve, _output_from_data(data)


def _transfer_properties(
    res: pulumi.Resource, props: Mapping[str, pulumi.Input[Any]], custom: bool
) -> dict[str, _rpc.Resolver]:
    """``rpc.transfer_properties`` (same signature): an Output for each property, one future
    each."""
    resolvers: dict[str, _rpc.Resolver] = {}
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # the SDK resolves these two itself
        resolvers[name], res.__dict__[name] = _property_output(res)
    return resolvers


@contextmanager
def _registration() -> Iterator[None]:
    """While a pulumi-kiro resource is constructed: the program's own stack trace and outputs
    of one future each."""
    # Registration reads these module attributes synchronously inside Resource.__init__, and a
    # Pulumi program constructs resources on one thread: a scoped swap affects no one else.
    _runtime_resource._get_stack_trace = _program_stack_trace
    if _OutputData is not None:
        _rpc.transfer_properties = _transfer_properties
    try:
        yield
    finally:
        _runtime_resource._get_stack_trace = _ORIGINAL_STACK_TRACE
        _rpc.transfer_properties = _ORIGINAL_TRANSFER


class KiroResource(pulumi.dynamic.Resource, module="kiro", name="Resource"):
    """A dynamic resource served by a provider from ``kiro_provider.resources``."""

    #: The outputs the class declares: its getter properties. Declared as Pulumi's generated
    #: SDKs declare them, the SDK resolves their types once per class; class annotations would
    #: have it re-evaluate them for every resource it registers (~0.2 ms each).
    _output_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._output_names = tuple(
            name for name, value in vars(cls).items() if isinstance(value, property)
        )

    def __init__(
        self,
        provider_type: type[ResourceProvider],
        resource_name: str,
        inputs: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        props: dict[str, Any] = dict.fromkeys(self._output_names)
        props.update(inputs)
        props["owner"] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
        # What pulumi.dynamic.Resource.__init__ does, with the provider serialized once per class.
        props[PROVIDER_KEY] = _serialized_provider(provider_type)
        with _registration():
            pulumi.CustomResource.__init__(
                self, f"pulumi-python:{self._resource_type_name}", resource_name, props, opts
            )
