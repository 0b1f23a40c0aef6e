"""The SDK's classes run under Pulumi's mocks: registrations complete, no engine runs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        return {}, []


@pytest.fixture(autouse=True)
def _mocks() -> Iterator[None]:
    # set_mocks needs a current event loop (asyncio.run elsewhere leaves none behind).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(_Mocks(), project="proj", stack="stack", preview=False)
    yield
    # Let the mocked registrations finish before the loop goes; a registration that failed in
    # the test leaves futures that never resolve, so do not wait for ever.
    pending = asyncio.all_tasks(loop)
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=30))
    asyncio.set_event_loop(None)
    loop.close()
