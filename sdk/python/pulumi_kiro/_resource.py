"""The base of every pulumi-kiro resource: owner stamping, the pickle-leak guard and a stack
trace that points at the user's program."""

from __future__ import annotations

import pickle
import sysconfig
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
import pulumi.runtime.resource as _runtime_resource

# pulumi.dynamic.serialize_provider wraps pickle._Pickler._batch_setitems (and replaces
# save_dict) on every resource it constructs and never restores them: each resource nests one
# more wrapper, and after ~320 resources pickling recurses too deep (RecursionError). Keep the
# methods as they are when pulumi_kiro is imported and put them back after each construction,
# so a stack of any size pickles with one level of wrapping at most.
_PICKLER: Any = pickle._Pickler
_PATCHED = ("_batch_setitems", "save_dict")
_ORIGINALS = {name: _PICKLER.__dict__[name] for name in _PATCHED if name in _PICKLER.__dict__}


def _restore_pickler() -> None:
    for name, original in _ORIGINALS.items():
        setattr(_PICKLER, name, original)


# The SDK records, with every resource, the stack from the resource class down to the bottom of
# the interpreter: our two SDK frames first (so the engine would report `_resource.py` as where
# the resource was declared) and ~10 frames of the language host, asyncio and pulumi.runtime
# after the program's own. That is ~1.1 KB of every resource's state, none of it the user's.
# While a pulumi-kiro resource is registered, keep only the frames of the program itself.
_SDK_DIR = Path(__file__).resolve().parent.as_uri() + "/"
_NOT_PROGRAM = tuple(
    Path(path).resolve().as_uri() + "/"
    for path in (Path(pulumi.__file__).parent, sysconfig.get_paths()["stdlib"])
)
_ORIGINAL_STACK_TRACE: Callable[[], Any] = _runtime_resource._get_stack_trace


def _program_frames(frames: list[Any]) -> Iterator[Any]:
    """The frames of the user's program: after ours, before the runtime that started it."""
    for frame in frames:
        uri = frame.pc.uri if frame.HasField("pc") else ""
        if uri.startswith(_SDK_DIR):
            continue
        if not uri or uri.startswith(_NOT_PROGRAM) or uri.endswith("pulumi-language-python-exec"):
            return
        yield frame


def _program_stack_trace() -> Any:
    trace = _ORIGINAL_STACK_TRACE()
    program = list(_program_frames(list(trace.frames)))
    if not program:
        return trace  # an unexpected shape: keep the SDK's trace rather than none
    del trace.frames[:]
    trace.frames.extend(program)
    return trace


@contextmanager
def _program_stack_traces() -> Iterator[None]:
    # Registration reads the module attribute synchronously inside Resource.__init__, and a
    # Pulumi program constructs resources on one thread: a scoped swap affects no one else.
    _runtime_resource._get_stack_trace = _program_stack_trace
    try:
        yield
    finally:
        _runtime_resource._get_stack_trace = _ORIGINAL_STACK_TRACE


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
        provider: pulumi.dynamic.ResourceProvider,
        resource_name: str,
        inputs: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        props: dict[str, Any] = dict.fromkeys(self._output_names)
        props.update(inputs)
        props["owner"] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
        try:
            with _program_stack_traces():
                super().__init__(provider, resource_name, props, opts)
        finally:
            _restore_pickler()
