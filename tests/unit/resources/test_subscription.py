"""SubscriptionProvider, called directly: check, diff, create, read, update, delete."""

from __future__ import annotations

from typing import Any

import pytest

from kiro_provider.domain.tiers import Tier
from kiro_provider.resources import SubscriptionProvider
from kiro_provider.resources.args import UNKNOWN
from kiro_provider.resources.base import ProviderError
from tests.unit.resources.conftest import World

OWNER = "proj/stack/alice"
provider = SubscriptionProvider()


def checked(world: World, **news: Any) -> dict[str, Any]:
    result = provider.check({}, {"owner": OWNER, **news})
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def failures(news: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, str]:
    result = provider.check(olds or {}, {"owner": OWNER, **news})
    return {f.property: f.reason for f in result.failures}


def test_check_canonicalises_tier_profile_and_user(world: World) -> None:
    inputs = checked(world, user="alice@example.com", tier="PRO_PLUS")
    assert inputs["tier"] == "Pro+"
    assert inputs["profile"] == "default"
    assert inputs["user_id"] == world.ids["alice"]


@pytest.mark.parametrize(
    ("news", "field", "fragments"),
    [
        ({"user": "alice", "tier": "Gold"}, "tier", ["'Gold'", "Pro, Pro+, Power"]),
        ({"user": "alice", "tier": 2}, "tier", ["2", "Pro, Pro+, Power"]),
        ({"user": "alice", "tier": None}, "tier", ["None"]),
        ({"user": "nobody", "tier": "Pro"}, "user", ["'nobody'"]),
        ({"user": "   ", "tier": "Pro"}, "user", ["empty"]),
        ({"user": "x" * 10_000, "tier": "Pro"}, "user", ["too long"]),
        ({"tier": "Pro"}, "user", ["required"]),
        ({"user": "alice", "tier": "Pro", "profile": "nope"}, "profile", ["'nope'", "default"]),
        ({"user": "alice", "tier": "Pro", "adopt": "yes"}, "adopt", ["boolean"]),
    ],
    ids=[
        "unknown-tier",
        "numeric-tier",
        "none-tier",
        "unknown-user",
        "blank-user",
        "huge-user",
        "missing-user",
        "unknown-profile",
        "adopt-not-bool",
    ],
)
def test_check_failures_name_field_value_and_valid(
    world: World, news: dict[str, Any], field: str, fragments: list[str]
) -> None:
    reasons = failures(news)
    assert field in reasons, reasons
    for fragment in fragments:
        assert fragment in reasons[field]


def test_check_passes_unknown_user_through_during_preview(world: World) -> None:
    inputs = checked(world, user=UNKNOWN, tier="Pro")
    assert inputs["user_id"] == UNKNOWN


def test_diff_compares_canonical_ids_and_tiers(world: World) -> None:
    olds = provider.create(checked(world, user="alice", tier="Pro")).outs
    same_person = checked(world, user=world.ids["alice"], tier="pro")
    assert provider.diff("id", olds, same_person).changes is False
    upgrade = provider.diff("id", olds, checked(world, user="alice", tier="Power"))
    assert (upgrade.changes, upgrade.replaces) == (True, [])
    other = provider.diff("id", olds, checked(world, user="bob", tier="Pro"))
    assert other.replaces == ["user_id"]


def test_create_then_read_reports_no_drift(world: World) -> None:
    created = provider.create(checked(world, user="alice", tier="Pro+"))
    assert created.outs["status"] == "Pending"
    assert created.outs["effective_tier"] == "Pro+"
    assert created.outs["credits"] == 2_000
    read = provider.read(created.id, created.outs)
    assert read.outs == created.outs
    assert provider.diff(created.id, read.outs, read.inputs).changes is False


def test_downgrade_is_pending_and_not_drift(world: World) -> None:
    created = provider.create(checked(world, user="alice", tier="Power"))
    news = checked(world, user="alice", tier="Pro")
    outs = provider.update(created.id, created.outs, news).outs
    assert (outs["tier"], outs["effective_tier"], outs["pending_tier"]) == ("Pro", "Power", "Pro")
    assert outs["pending_effective_at"] == "2026-12-01T00:00:00Z"
    read = provider.read(created.id, outs)
    assert provider.diff(created.id, read.outs, news).changes is False


def test_out_of_band_plan_change_is_drift(world: World) -> None:
    created = provider.create(checked(world, user="alice", tier="Pro"))
    world.console().subscribe_user("default", world.ids["alice"], Tier.POWER, owner=None)
    read = provider.read(created.id, created.outs)
    assert read.inputs is not None and read.inputs["tier"] == "Power"
    declared = checked(world, user="alice", tier="Pro")
    assert provider.diff(created.id, read.outs, declared).changes is True


def test_canceled_out_of_band_reads_as_gone(world: World) -> None:
    created = provider.create(checked(world, user="alice", tier="Pro"))
    world.console().deactivate_user("default", world.ids["alice"])
    assert provider.read(created.id, created.outs).id is None


def test_delete_keeps_the_group_tier(world: World) -> None:
    world.console().subscribe_group("default", world.ids["engineering"], Tier.PRO, owner=None)
    created = provider.create(checked(world, user="alice", tier="Power"))
    provider.delete(created.id, created.outs)
    alice = world.console().describe_user("default", world.ids["alice"])
    assert alice is not None
    assert alice.direct is None
    assert (alice.status.value, alice.effective_tier, alice.pending_tier) == (
        "Pending",
        Tier.POWER,
        Tier.PRO,
    )


def test_another_owner_is_refused_at_check_and_create(world: World) -> None:
    provider.create(checked(world, user="alice", tier="Pro"))
    other = {"user": "alice", "tier": "Pro", "owner": "proj/stack/alice-again"}
    reason = {f.property: f.reason for f in provider.check({}, other).failures}["user"]
    assert "proj/stack/alice" in reason
    with pytest.raises(ProviderError, match="proj/stack/alice"):
        provider.create({**checked(world, user="alice", tier="Pro"), "owner": other["owner"]})


def test_interrupted_create_completes(world: World) -> None:
    inputs = checked(world, user="alice", tier="Pro")
    first = provider.create(inputs)
    again = provider.create(inputs)  # the engine never recorded the first create
    assert again.id == first.id and again.outs == first.outs


def test_console_subscription_needs_adopt(world: World) -> None:
    world.console().subscribe_user("default", world.ids["bob"], Tier.PRO, owner=None)
    assert "adopt=True" in failures({"user": "bob", "tier": "Pro"})["user"]
    created = provider.create(checked(world, user="bob", tier="Pro+", adopt=True))
    assert created.outs["effective_tier"] == "Pro+"
    bob = world.console().describe_user("default", world.ids["bob"])
    assert bob is not None and bob.direct is not None and bob.direct.owner == OWNER
