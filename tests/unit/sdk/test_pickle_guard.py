"""DESIGN §4: the SDK must not inherit pulumi.dynamic's pickle monkeypatch leak."""

from __future__ import annotations

import base64
import pickle
from typing import Any

import pulumi
import pulumi.dynamic

import pulumi_kiro as kiro
from kiro_provider.resources import SubscriptionProvider


class _NaiveProvider(pulumi.dynamic.ResourceProvider):
    pass


class _NaiveResource(pulumi.dynamic.Resource):
    pass


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
