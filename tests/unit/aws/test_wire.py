"""Plan and status names, both ways, and the records parsed from Kiro's listings."""

from __future__ import annotations

import pytest

from kiro_provider.aws.wire import (
    PLAN_FOR_TIER,
    UnknownPlanError,
    parse_claim,
    parse_subscription,
    plan_name,
    status_of,
    tier_of,
)
from kiro_provider.domain.tiers import Status, Tier


@pytest.mark.parametrize(
    ("tier", "plan"),
    [
        (Tier.PRO, "KIRO_ENTERPRISE_PRO"),
        (Tier.PRO_PLUS, "KIRO_ENTERPRISE_PRO_PLUS"),
        (Tier.POWER, "KIRO_ENTERPRISE_POWER"),
    ],
)
def test_writes_the_kiro_enterprise_names(tier: Tier, plan: str) -> None:
    assert plan_name(tier) == plan
    assert tier_of(plan, who="u") is tier


@pytest.mark.parametrize(
    ("plan", "tier"),
    [
        ("Q_DEVELOPER_STANDALONE_PRO", Tier.PRO),
        ("Q_DEVELOPER_STANDALONE_PRO_PLUS", Tier.PRO_PLUS),
        ("Q_DEVELOPER_STANDALONE_POWER", Tier.POWER),
        ("KIRO_ENTERPRISE_PRO_POWER", Tier.POWER),
    ],
)
def test_reads_the_older_family_and_variants(plan: str, tier: Tier) -> None:
    assert tier_of(plan, who="u") is tier


def test_every_tier_has_one_written_name() -> None:
    assert set(PLAN_FOR_TIER) == set(Tier)
    assert len(set(PLAN_FOR_TIER.values())) == len(Tier)


@pytest.mark.parametrize("plan", ["KIRO_ENTERPRISE_PRO_MAX", "FREE", "", None, 3])
def test_an_unknown_plan_is_reported_with_the_user_and_the_known_plans(plan: object) -> None:
    with pytest.raises(UnknownPlanError) as caught:
        tier_of(plan, who="user u-1")
    message = str(caught.value)
    assert "user u-1" in message
    assert repr(plan) in message
    assert "KIRO_ENTERPRISE_PRO_PLUS" in message


@pytest.mark.parametrize(
    ("wire", "status"),
    [
        ("PENDING", Status.PENDING),
        ("ACTIVE", Status.ACTIVE),
        ("CANCELLED", Status.CANCELED),
        ("active", Status.ACTIVE),
    ],
)
def test_statuses(wire: str, status: Status) -> None:
    assert status_of(wire, who="u") is status


def test_an_unknown_status_is_reported() -> None:
    with pytest.raises(UnknownPlanError, match="SUSPENDED"):
        status_of("SUSPENDED", who="user u-1")


def test_a_subscription_record_with_a_held_downgrade() -> None:
    record = parse_subscription(
        {
            "principal": {"user": "u-1"},
            "type": {"amazonQ": "KIRO_ENTERPRISE_PRO"},
            "activatedType": {"amazonQ": "Q_DEVELOPER_STANDALONE_POWER"},
            "status": "ACTIVE",
            "aggregatedSubscriptionType": "INDIVIDUAL_AND_GROUP",
        }
    )
    assert (record.user_id, record.status) == ("u-1", Status.ACTIVE)
    assert (record.tier, record.activated_tier) == (Tier.PRO, Tier.POWER)
    assert record.aggregated_type == "INDIVIDUAL_AND_GROUP"


def test_a_record_without_an_activated_plan_is_in_force_at_its_plan() -> None:
    record = parse_subscription(
        {
            "principal": {"user": "u-2"},
            "type": {"amazonQ": "KIRO_ENTERPRISE_PRO"},
            "status": "PENDING",
        }
    )
    assert record.activated_tier is Tier.PRO


def test_claims_of_users_and_groups() -> None:
    user = parse_claim({"principal": {"user": "u"}, "type": {"amazonQ": "KIRO_ENTERPRISE_PRO"}})
    group = parse_claim({"principal": {"group": "g"}, "type": {"amazonQ": "KIRO_ENTERPRISE_POWER"}})
    assert user is not None and (user.principal_type, user.tier) == ("USER", Tier.PRO)
    assert group is not None and (group.principal_type, group.tier) == ("GROUP", Tier.POWER)
    assert parse_claim({"principal": {}, "type": {"amazonQ": "KIRO_ENTERPRISE_PRO"}}) is None
