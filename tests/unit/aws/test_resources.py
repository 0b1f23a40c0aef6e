"""The three resource providers over the aws control plane, called directly: nothing in them
assumes the ledger. Kiro records no owner, so an existing assignment is adopted, not taken."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from kiro_provider.aws import AwsControlPlane
from kiro_provider.domain.tiers import Tier
from kiro_provider.resources import base
from kiro_provider.resources.group_assignment import GroupAssignmentProvider
from kiro_provider.resources.profile_settings import ProfileSettingsProvider
from kiro_provider.resources.subscription import SubscriptionProvider
from tests.fakes import environment as env
from tests.fakes.kiro_service import FakeServer

OWNER = "proj/stack/alice"


@pytest.fixture(autouse=True)
def _stack_config(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    config = env.stack_config(fake.state.model.where, fake.url)
    monkeypatch.setattr(base, "_stack_config", config)
    monkeypatch.delenv("KIRO_LEDGER", raising=False)


def checked(provider: Any, news: dict[str, Any], olds: dict[str, Any] | None = None) -> Any:
    return provider.check(olds or {}, news)


def test_subscription_lifecycle(seeded: env.Seeded, cp: AwsControlPlane) -> None:
    provider = SubscriptionProvider()
    check = checked(provider, {"user": "alice", "tier": "pro+", "owner": OWNER})
    assert check.failures == []
    assert check.inputs["user_id"] == seeded.users["alice"].user_id
    created: Any = provider.create(check.inputs)
    assert created.outs["status"] == "Pending" and created.outs["effective_tier"] == "Pro+"

    read: Any = provider.read(created.id, created.outs)
    assert read.id == created.id and read.inputs is not None and read.inputs["tier"] == "Pro+"
    assert provider.diff(created.id, created.outs, read.inputs).changes is False

    provider.delete(created.id, created.outs)
    gone: Any = provider.read(created.id, created.outs)
    assert gone.id is None  # Canceled: gone


def test_an_existing_assignment_needs_adopt(seeded: env.Seeded, cp: AwsControlPlane) -> None:
    cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO, owner=None)
    provider = SubscriptionProvider()
    refused = checked(provider, {"user": "alice", "tier": "Pro", "owner": OWNER})
    assert [f.property for f in refused.failures] == ["user"]
    assert "set adopt=True" in refused.failures[0].reason
    adopted = checked(provider, {"user": "alice", "tier": "Pro", "owner": OWNER, "adopt": True})
    assert adopted.failures == []
    adopted_sub: Any = provider.create(adopted.inputs)
    assert adopted_sub.outs["tier"] == "Pro"


def test_group_assignment_and_settings(seeded: env.Seeded, cp: AwsControlPlane) -> None:
    groups = GroupAssignmentProvider()
    check = checked(groups, {"group": "engineering", "tier": "Power", "owner": "p/s/eng"})
    created: Any = groups.create(check.inputs)
    assert [m["user_name"] for m in created.outs["members"]] == ["bob", "carol"]
    assert groups.diff(created.id, created.outs, check.inputs).changes is False

    settings = ProfileSettingsProvider()
    s_check = checked(settings, {"overages_enabled": True})
    settings_created: Any = settings.create(s_check.inputs)
    assert settings_created.outs["overages_enabled"] is True
    assert cp.get_settings("default").overages_enabled is True
    settings.delete("default", s_check.inputs)
    assert cp.get_settings("default").overages_enabled is False

    groups.delete(created.id, created.outs)
    assert cp.describe_group("default", seeded.groups["engineering"].group_id) is None


def test_a_kiro_refusal_is_a_provider_error(fake: FakeServer, seeded: env.Seeded) -> None:
    provider = SubscriptionProvider()
    check = checked(provider, {"user": "alice", "tier": "Pro", "owner": OWNER})
    env.control(
        fake.url,
        "fail",
        {"operation": "CreateAssignment", "code": "AccessDeniedException", "status": 403},
    )
    with pytest.raises(base.ProviderError, match="AccessDenied: Kiro denied CreateAssignment"):
        provider.create(check.inputs)


def test_providers_stay_small_and_hold_nothing(cp: AwsControlPlane, seeded: env.Seeded) -> None:
    provider = SubscriptionProvider()
    provider.create(checked(provider, {"user": "bob", "tier": "Pro", "owner": OWNER}).inputs)
    assert len(pickle.dumps(provider)) < 200  # pickled by reference, no client on it
    assert vars(provider) == {}


def test_a_subscription_meeting_a_plan_without_a_tier_says_so(
    seeded: env.Seeded, cp: AwsControlPlane, fake: FakeServer
) -> None:
    provider = SubscriptionProvider()
    created: Any = provider.create(checked(provider, {"user": "alice", "tier": "Pro"}).inputs)
    env.control(
        fake.url,
        "plan",
        {"userId": seeded.users["alice"].user_id, "plan": "KIRO_ENTERPRISE_PRO_MAX"},
    )
    with pytest.raises(Exception, match="KIRO_ENTERPRISE_PRO_MAX") as refused:
        provider.read(created.id, created.outs)  # not ReadResult(None): alice is subscribed
    assert "neither report it unsubscribed" in str(refused.value)
