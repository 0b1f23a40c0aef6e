"""What public callers of Kiro's API report and the adapter must survive, each switched on in
the fake: plan names on write, writes that show in the listings seconds later, profile updates
that replace the whole profile, and ListProfiles without the opt-in features."""

from __future__ import annotations

from typing import Any

import pytest

from kiro_provider.aws import AwsControlPlane, controlplane
from kiro_provider.aws.errors import ServiceError
from kiro_provider.aws.service import forget_page_sizes
from kiro_provider.aws.snapshot import clear_snapshots
from kiro_provider.aws.wire import PLAN_FAMILIES
from kiro_provider.config import PLAN_FAMILIES as CONFIGURABLE_FAMILIES
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import KiroError, ValidationError
from tests.fakes import environment as env
from tests.fakes.kiro_service import FakeServer


def switch(fake: FakeServer, **switches: Any) -> None:
    env.control(fake.url, "switches", switches)


def written_plans(fake: FakeServer) -> list[tuple[str, int]]:
    """(plan family, HTTP status) of every assignment write the fake received, in order."""
    family_of = {plan: family for family, plans in PLAN_FAMILIES.items() for plan in plans.values()}
    return [(family_of[c["plan"]], c["status"]) for c in fake.state.calls if "plan" in c]


@pytest.fixture(autouse=True)
def _record_plans(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Log the plan each write carried beside the fake's call log."""
    model = fake.state.model
    original = model._tier

    def tier(plan: str) -> Tier:
        try:
            found = original(plan)
        except Exception:
            fake.state.calls.append({"target": "plan", "plan": plan, "status": 400})
            raise
        fake.state.calls.append({"target": "plan", "plan": plan, "status": 200})
        return found

    monkeypatch.setattr(model, "_tier", tier)


def test_the_configurable_families_are_the_wire_families() -> None:
    assert tuple(PLAN_FAMILIES) == CONFIGURABLE_FAMILIES


@pytest.mark.parametrize("accepted", list(PLAN_FAMILIES))
def test_writes_use_the_family_kiro_accepts_and_remember_it(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer, accepted: str
) -> None:
    switch(fake, writeFamilies=[accepted])
    users = [seeded.users[name].user_id for name in ("alice", "bob", "dave")]
    for user_id in users:
        assert cp.subscribe_user("default", user_id, Tier.PRO, owner=None).tier is Tier.PRO
    cp.subscribe_group("default", seeded.groups["design"].group_id, Tier.PRO_PLUS, owner=None)
    refused_first = accepted != next(iter(PLAN_FAMILIES))
    expected = [("KIRO_ENTERPRISE", 400)] if refused_first else []
    assert written_plans(fake) == expected + [(accepted, 200)] * 4  # refused once at most


def test_a_pinned_family_is_not_second_guessed(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    switch(fake, writeFamilies=["KIRO_ENTERPRISE"])
    cp.plan_family = "Q_DEVELOPER_STANDALONE"
    with pytest.raises(ValidationError, match="subscriptionType") as refused:
        cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO, owner=None)
    assert "KIRO_ENTERPRISE_PRO" in str(refused.value)  # Kiro's list of valid values
    assert written_plans(fake) == [("Q_DEVELOPER_STANDALONE", 400)]


def test_a_write_is_waited_for_until_the_listings_show_it(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    switch(fake, visibilityDelay=0.6)
    alice, bob = seeded.users["alice"].user_id, seeded.users["bob"].user_id
    assert cp.subscribe_user("default", alice, Tier.PRO, owner=None).status is Status.PENDING
    engineering = cp.subscribe_group(
        "default", seeded.groups["engineering"].group_id, Tier.PRO_PLUS, owner=None
    )
    assert {m.user_name for m in engineering.members} == {"bob", "carol"}
    env.control(fake.url, "sign-in", {"userId": alice})
    upgraded = cp.subscribe_user("default", alice, Tier.POWER, owner=None)
    assert upgraded.effective_tier is Tier.POWER
    canceled = cp.unsubscribe_user("default", alice)
    assert canceled is not None and canceled.status is Status.CANCELED
    bob_view = cp.describe_user("default", bob)
    assert bob_view is not None and bob_view.tier is Tier.PRO_PLUS


def test_without_the_wait_a_late_listing_is_an_error_that_says_to_run_again(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(controlplane, "READ_AFTER_WRITE_SECONDS", 0.0)
    switch(fake, visibilityDelay=30)
    with pytest.raises(ServiceError, match=r"lists no subscription .* run again"):
        cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO, owner=None)


def test_an_overage_change_sends_the_whole_profile_back(
    cp: AwsControlPlane, fake: FakeServer
) -> None:
    switch(fake, replaceProfile=True)
    before = env.control(fake.url, "state")["profile"]
    assert cp.update_settings("default", overages_enabled=True).overages_enabled is True
    after = env.control(fake.url, "state")["profile"]
    assert after["optInFeatures"]["overageConfiguration"] == {"overageStatus": "ENABLED"}
    assert after["optInFeatures"]["autonomousAgents"] == {"toggle": "ON"}
    unchanged = {k: v for k, v in before.items() if k != "optInFeatures"}
    assert {k: after.get(k) for k in unchanged} == unchanged


def test_a_profile_read_without_opt_ins_is_not_updated_by_guess(
    cp: AwsControlPlane, fake: FakeServer
) -> None:
    switch(fake, replaceProfile=True, profilesWithoutOptIns=True)
    clear_snapshots()
    assert cp.get_settings("default").overages_enabled is False  # absent: disabled
    with pytest.raises(KiroError, match=r"returns no optInFeatures .* will not guess") as refused:
        cp.update_settings("default", overages_enabled=True)
    assert refused.value.field == "overages_enabled"
    assert not any(c["target"].endswith(".UpdateProfile") for c in fake.state.calls)
    assert env.control(fake.url, "state")["profile"]["optInFeatures"]["autonomousAgents"]


def claim_pages(fake: FakeServer) -> list[int]:
    """HTTP status of every ListApplicationClaims call the fake received, in order."""
    return [c["status"] for c in fake.state.calls if c["target"].endswith(".ListApplicationClaims")]


@pytest.mark.parametrize("limit", [1000, 100])
def test_claims_are_listed_in_the_largest_pages_kiro_takes(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer, limit: int
) -> None:
    """1,000 claims a page where Kiro takes it; where it takes only 100 (what public callers
    ask for), one refused call and 100 from then on, for the rest of the process."""
    switch(fake, claimsPageLimit=limit)
    for name in ("alice", "bob"):
        cp.subscribe_user("default", seeded.users[name].user_id, Tier.PRO, owner=None)
    fake.state.calls.clear()
    clear_snapshots()  # a new process: nothing listed, nothing learnt
    forget_page_sizes()
    assert {v.user.user_name for v in cp.list_users("default")} == {"alice", "bob"}
    clear_snapshots()
    cp.list_users("default")
    assert claim_pages(fake) == ([200, 200] if limit == 1000 else [400, 200, 200])
