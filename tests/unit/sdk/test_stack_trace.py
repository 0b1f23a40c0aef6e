"""The stack trace a pulumi-kiro resource records: the program's frames, not ours or the SDK's."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.resource as runtime_resource
import pytest
from pulumi.runtime import settings

import pulumi_kiro as kiro
from pulumi_kiro import _speedups


def _frame(path: str | None, line: int = 1) -> tuple[str, int]:
    return _speedups._file_uri(path or "<frozen runpy>"), line  # frozen: no path, no URI


def _uris(frames: Any) -> list[str]:
    return [frame.pc.uri for frame in frames]


def test_keeps_the_program_between_our_sdk_and_the_runtime() -> None:
    sdk = Path(_speedups.__file__).parent
    runtime = Path(pulumi.__file__).parent / "runtime" / "stack.py"
    frames = [
        _frame(str(Path(pulumi.__file__).parent / "runtime" / "resource.py"), 1150),
        _frame(str(Path(pulumi.__file__).parent / "resource.py"), 1260),
        _frame(str(sdk / "_resource.py"), 42),
        _frame(str(sdk / "subscription.py"), 72),
        _frame("/srv/infra/team.py", 3),
        _frame("/srv/infra/__main__.py", 8),
        _frame(None),
        _frame("/opt/engine/bin/pulumi-language-python-exec", 188),
        _frame(str(runtime), 133),
    ]
    kept = list(_speedups._program_positions(frames))
    assert kept == [("file:///srv/infra/team.py", 3), ("file:///srv/infra/__main__.py", 8)]


def test_stops_at_the_standard_library() -> None:
    import asyncio.events as events

    frames = [_frame("/srv/infra/__main__.py"), _frame(events.__file__), _frame("/srv/x.py")]
    assert list(_speedups._program_positions(frames)) == [("file:///srv/infra/__main__.py", 1)]


@pytest.mark.skipif(
    _speedups.ACTIVE.stack_trace is None, reason="this SDK records its own trace (test_compat)"
)
def test_a_resource_records_where_the_program_declared_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Capture what reaches the monitor: a spy on the stack would be a frame of its own.
    monitor = settings.get_monitor()
    register = monitor.RegisterResource
    requests: list[Any] = []

    def capture(request: Any) -> Any:
        requests.append(request)
        return register(request)

    monkeypatch.setattr(monitor, "RegisterResource", capture)
    declared_at = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
    alice = kiro.Subscription("alice", user="alice", tier="Pro")
    asyncio.get_event_loop().run_until_complete(alice.urn.future())

    (request,) = requests
    frames = request.stackTrace.frames
    assert (frames[0].pc.uri, frames[0].pc.line) == (Path(__file__).resolve().as_uri(), declared_at)
    sdk_dirs = (_speedups._SDK_DIR, *_speedups._NOT_PROGRAM)
    assert not [uri for uri in _uris(frames) if uri.startswith(sdk_dirs)]
    # The swap is scoped to our constructor: other resources get the SDK's own trace.
    assert runtime_resource._get_stack_trace is _speedups.ACTIVE.stack_trace
