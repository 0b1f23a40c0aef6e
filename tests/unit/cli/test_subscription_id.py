"""``kiroctl users --json`` shows ``subscription_id``: the id of the Subscription resource that
manages the record, which ``pulumi import kiro:index:Subscription NAME ID`` takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiro_provider.resources import SubscriptionProvider, base
from kiro_provider.resources.imports import subscription_props

from .support import Run


@pytest.fixture
def providers_on(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The resource providers read the same ledger as kiroctl."""
    monkeypatch.setenv("KIRO_LEDGER", str(ledger))
    monkeypatch.setattr(base, "_stack_config", {})


def test_subscription_id_is_the_resource_id(seeded: Run, providers_on: None) -> None:
    checked = SubscriptionProvider().check({}, {"user": "alice", "tier": "Pro", "owner": "p/s/a"})
    created = SubscriptionProvider().create(checked.inputs)
    row = next(r for r in seeded("users", "--json").json() if r["user_name"] == "alice")
    assert row["subscription_id"] == created.id


def test_a_kiroctl_subscription_is_found_by_its_subscription_id(
    seeded: Run, providers_on: None
) -> None:
    assert seeded("subscribe", "bob", "--tier", "Power").code == 0
    row = next(r for r in seeded("users", "--json").json() if r["user_name"] == "bob")
    props = subscription_props(str(row["subscription_id"]))
    assert props is not None
    assert (props["user"], props["user_id"], props["profile"]) == ("bob", row["user_id"], "default")
    assert subscription_props("not-an-id") is None
