"""The ControlPlane contract, run against both implementations: the ledger (our rules) and the
aws adapter (Kiro's rules, played by the fake). A resource that passes against one must behave
the same against the other; where Kiro differs, the aws tests say so (tests/unit/aws)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import NotFoundError, ValidationError
from tests.unit.contract.conftest import Backend

P = "default"
DEC_1 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def test_subscribe_starts_pending_at_the_tier(backend: Backend) -> None:
    view = backend.cp.subscribe_user(P, backend.uid("alice"), Tier.PRO_PLUS, owner=None)
    assert (view.status, view.tier, view.effective_tier) == (
        Status.PENDING,
        Tier.PRO_PLUS,
        Tier.PRO_PLUS,
    )
    assert (view.pending_tier, view.pending_effective_at) == (None, None)
    assert view.user.user_name == "alice" and view.credits == 2_000
    assert view.direct is not None and view.direct.tier is Tier.PRO_PLUS
    assert [v.user.user_name for v in backend.cp.list_users(P)] == ["alice"]


def test_activation_then_an_upgrade_takes_effect_at_once(backend: Backend) -> None:
    alice = backend.uid("alice")
    backend.cp.subscribe_user(P, alice, Tier.PRO, owner=None)
    backend.sign_in(alice)
    view = backend.cp.subscribe_user(P, alice, Tier.POWER, owner=None)
    assert (view.status, view.effective_tier, view.pending_tier) == (
        Status.ACTIVE,
        Tier.POWER,
        None,
    )


def test_a_downgrade_waits_for_the_first_of_next_month(backend: Backend) -> None:
    alice = backend.uid("alice")
    backend.cp.subscribe_user(P, alice, Tier.POWER, owner=None)
    backend.sign_in(alice)
    view = backend.cp.subscribe_user(P, alice, Tier.PRO, owner=None)
    assert (view.tier, view.effective_tier) == (Tier.PRO, Tier.POWER)
    assert (view.pending_tier, view.pending_effective_at) == (Tier.PRO, DEC_1)
    assert view.direct is not None and view.direct.tier is Tier.PRO

    backend.set_now(datetime(2026, 12, 1, 0, 0, 1, tzinfo=timezone.utc))
    later = backend.cp.describe_user(P, alice)
    assert later is not None
    assert (later.effective_tier, later.pending_tier, later.status) == (
        Tier.PRO,
        None,
        Status.ACTIVE,
    )


def test_unsubscribe_cancels_and_keeps_the_record(backend: Backend) -> None:
    alice = backend.uid("alice")
    backend.cp.subscribe_user(P, alice, Tier.PRO, owner=None)
    backend.sign_in(alice)
    view = backend.cp.unsubscribe_user(P, alice)
    assert view is not None and view.status is Status.CANCELED and view.direct is None
    again = backend.cp.describe_user(P, alice)
    assert again is not None and again.status is Status.CANCELED
    assert backend.cp.unsubscribe_user(P, backend.uid("bob")) is None
    assert backend.cp.describe_user(P, backend.uid("bob")) is None


def test_a_group_assignment_subscribes_every_member(backend: Backend) -> None:
    group = backend.cp.subscribe_group(P, backend.gid("engineering"), Tier.PRO, owner=None)
    assert group.group.group_name == "engineering" and group.tier is Tier.PRO
    assert [(m.user_name, m.status, m.effective_tier) for m in group.members] == [
        ("bob", Status.PENDING, Tier.PRO),
        ("carol", Status.PENDING, Tier.PRO),
    ]
    assert [g.group.group_name for g in backend.cp.list_groups(P)] == ["engineering"]
    bob = backend.cp.describe_user(P, backend.uid("bob"))
    assert bob is not None and bob.direct is None
    assert [a.group_id for a in bob.assignments] == [backend.gid("engineering")]


def test_removing_the_group_assignment_cancels_its_members(backend: Backend) -> None:
    backend.cp.subscribe_group(P, backend.gid("engineering"), Tier.PRO, owner=None)
    backend.cp.unsubscribe_group(P, backend.gid("engineering"))
    assert backend.cp.describe_group(P, backend.gid("engineering")) is None
    statuses = {v.user.user_name: v.status for v in backend.cp.list_users(P)}
    assert statuses == {"bob": Status.CANCELED, "carol": Status.CANCELED}
    backend.cp.unsubscribe_group(P, backend.gid("design"))  # never assigned: nothing happens


def test_the_highest_tier_wins(backend: Backend) -> None:
    bob = backend.uid("bob")
    backend.cp.subscribe_user(P, bob, Tier.PRO_PLUS, owner=None)
    backend.cp.subscribe_group(P, backend.gid("engineering"), Tier.POWER, owner=None)
    view = backend.cp.describe_user(P, bob)
    assert view is not None and (view.tier, view.effective_tier) == (Tier.POWER, Tier.POWER)
    assert view.direct is not None and view.direct.tier is Tier.PRO_PLUS
    assert sorted(a.tier.value for a in view.assignments) == ["Power", "Pro+"]
    assert len(backend.cp.list_users(P)) == 2  # bob once, carol


def test_a_member_added_later_is_subscribed_when_the_assignment_is_applied(
    backend: Backend,
) -> None:
    backend.cp.subscribe_group(P, backend.gid("engineering"), Tier.PRO, owner=None)
    backend.add_member("engineering", "dave")
    assert backend.cp.group_member_ids(backend.gid("engineering")) == {
        backend.uid(n) for n in ("bob", "carol", "dave")
    }
    group = backend.cp.subscribe_group(P, backend.gid("engineering"), Tier.PRO, owner=None)
    assert [m.user_name for m in group.members] == ["bob", "carol", "dave"]


def test_settings_overages(backend: Backend) -> None:
    assert backend.cp.get_settings(P).overages_enabled is False
    assert backend.cp.update_settings(P, overages_enabled=True).overages_enabled is True
    assert backend.cp.get_settings(P).overages_enabled is True
    backend.cp.update_settings(P, overages_enabled=False)
    assert backend.cp.get_settings(P).overages_enabled is False
    with pytest.raises(ValidationError, match="overage_cap"):
        backend.cp.update_settings(P, overages_enabled=True, overage_cap=10)


def test_lookups_and_profiles(backend: Backend) -> None:
    assert P in backend.cp.profiles()
    assert backend.cp.find_user("alice@example.com").user_id == backend.uid("alice")
    assert backend.cp.find_group("design").group_id == backend.gid("design")
    with pytest.raises(NotFoundError):
        backend.cp.find_user("nobody")
    with pytest.raises(NotFoundError) as caught:
        backend.cp.describe_user("no-such-profile", backend.uid("alice"))
    assert caught.value.field == "profile"
