"""DESIGN §4: the SDK must not inherit pulumi.dynamic's pickle monkeypatch leak."""

from __future__ import annotations

import asyncio
import base64
import pickle
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi.dynamic
import pytest

import pulumi_kiro as kiro
from kiro_provider.resources import SubscriptionProvider


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        return {}, []


class _NaiveProvider(pulumi.dynamic.ResourceProvider):
    pass


class _NaiveResource(pulumi.dynamic.Resource):
    pass


@pytest.fixture(autouse=True)
def _mocks() -> Iterator[None]:
    # set_mocks needs a current event loop (asyncio.run elsewhere leaves none behind).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(_Mocks(), project="proj", stack="stack", preview=False)
    yield
    # Let the mocked registrations finish before the loop goes.
    loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop)))
    asyncio.set_event_loop(None)
    loop.close()


def _batch_setitems() -> Any:
    return pickle._Pickler.__dict__["_batch_setitems"]  # type: ignore[attr-defined]


def test_thousands_of_resources_leave_pickle_as_it_was() -> None:
    for i in range(2_000):
        kiro.Subscription(f"user-{i}", user=f"user-{i}", tier="Pro")
    # Not even one wrapper is left, whatever ran before (pickle's own method is back).
    assert _batch_setitems().__qualname__ == "_Pickler._batch_setitems"
    pickle.loads(pickle.dumps({"still": "works"}))


def test_plain_dynamic_resources_do_leak_so_the_guard_is_needed() -> None:
    # The control: without the guard, each resource nests one more wrapper.
    original = _batch_setitems()
    try:
        for i in range(3):
            _NaiveResource(_NaiveProvider(), f"naive-{i}", {})
        assert _batch_setitems() is not original
    finally:
        pickle._Pickler._batch_setitems = original  # type: ignore[attr-defined]


def test_provider_pickles_by_reference_in_a_few_bytes() -> None:
    serialized = pulumi.dynamic.dynamic.serialize_provider(SubscriptionProvider())
    raw = base64.b64decode(serialized)
    assert len(raw) < 120, len(raw)
    assert b"kiro_provider.resources.subscription" in raw
    assert isinstance(pickle.loads(raw), SubscriptionProvider)
