"""The stack trace a pulumi-kiro resource records: the program's frames, not ours or the SDK's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.resource as runtime_resource
import pytest
from pulumi.runtime.proto import source_pb2

import pulumi_kiro as kiro
from pulumi_kiro import _resource


def _frame(path: str | None, line: int = 1) -> source_pb2.StackFrame:
    if path is None:
        return source_pb2.StackFrame()  # a frame the SDK could not place (frozen runpy)
    return source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri=Path(path).as_uri(), line=line))


def _uris(frames: Any) -> list[str]:
    return [frame.pc.uri for frame in frames]


def test_keeps_the_program_between_our_sdk_and_the_runtime() -> None:
    sdk = Path(_resource.__file__).parent
    runtime = Path(pulumi.__file__).parent / "runtime" / "stack.py"
    frames = [
        _frame(str(sdk / "_resource.py"), 42),
        _frame(str(sdk / "subscription.py"), 72),
        _frame("/srv/infra/team.py", 3),
        _frame("/srv/infra/__main__.py", 8),
        _frame(None),
        _frame("/opt/engine/bin/pulumi-language-python-exec", 188),
        _frame(str(runtime), 133),
    ]
    kept = list(_resource._program_frames(frames))
    assert _uris(kept) == ["file:///srv/infra/team.py", "file:///srv/infra/__main__.py"]


def test_stops_at_the_standard_library() -> None:
    import asyncio.events as events

    frames = [_frame("/srv/infra/__main__.py"), _frame(events.__file__), _frame("/srv/x.py")]
    assert _uris(_resource._program_frames(frames)) == ["file:///srv/infra/__main__.py"]


def test_a_resource_records_where_the_program_declared_it(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded: list[Any] = []
    program_stack_trace = _resource._program_stack_trace

    def spy() -> Any:
        trace = program_stack_trace()
        recorded.append(trace)
        return trace

    monkeypatch.setattr(_resource, "_program_stack_trace", spy)
    kiro.Subscription("alice", user="alice", tier="Pro")

    (trace,) = recorded
    assert trace.frames[0].pc.uri == Path(__file__).resolve().as_uri()
    sdk_dirs = (_resource._SDK_DIR, *_resource._NOT_PROGRAM)
    assert not [uri for uri in _uris(trace.frames) if uri.startswith(sdk_dirs)]
    # The swap is scoped to our constructor: other resources get the SDK's own trace.
    assert runtime_resource._get_stack_trace is _resource._ORIGINAL_STACK_TRACE
