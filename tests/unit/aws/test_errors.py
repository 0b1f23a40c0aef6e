"""Kiro's refusals, injected by the fake, reach the caller as clear KiroErrors; throttling and
5xx are retried by botocore's standard mode before anything is reported."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff

from kiro_provider.aws import AwsControlPlane
from kiro_provider.aws.errors import (
    ACTIONS_KIRO_CHECKS,
    REQUIRED_ACTIONS,
    AccessDeniedError,
    NotSupportedError,
    ServiceError,
)
from kiro_provider.aws.wire import UnknownPlanError
from kiro_provider.boto_clients import KIRO_CLIENT_CONFIG
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import ConflictError, NotFoundError, ValidationError
from tests.e2e.harness import REPO
from tests.fakes import environment as env
from tests.fakes.kiro_service import FakeServer


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # The retries still happen (the fake counts them); only the sleeping between them goes.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


def fail(fake: FakeServer, operation: str, code: str, status: int, **extra: Any) -> None:
    env.control(fake.url, "fail", {"operation": operation, "code": code, "status": status, **extra})


def attempts(fake: FakeServer, operation: str) -> list[int]:
    calls = env.control(fake.url, "state")["calls"]
    return [c["status"] for c in calls if c["target"].endswith("." + operation)]


def test_conflict_says_already_subscribed(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    fail(
        fake,
        "CreateAssignment",
        "ConflictException",
        409,
        message="Resource is in an invalid state.",
    )
    with pytest.raises(ConflictError) as caught:
        cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO, owner=None)
    message = str(caught.value)
    assert "CreateAssignment" in message and "'alice'" in message
    assert "Resource is in an invalid state." in message and "already subscribed" in message
    assert cp.describe_user("default", seeded.users["alice"].user_id) is None  # nothing half-done


def test_access_denied_lists_the_iam_actions(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    fail(fake, "CreateAssignment", "AccessDeniedException", 403, message="not authorized")
    with pytest.raises(AccessDeniedError) as caught:
        cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO, owner=None)
    message = str(caught.value)
    assert "not authorized" in message and "Kiro is not set up" in message
    assert all(action in message for action in REQUIRED_ACTIONS)


def test_no_profile_is_not_found(cp: AwsControlPlane, fake: FakeServer) -> None:
    fail(fake, "ListProfiles", "ResourceNotFoundException", 404, message="Profile not found")
    with pytest.raises(NotFoundError) as caught:
        cp.get_settings("default")
    assert "Profile not found" in str(caught.value) and caught.value.field == "profile"


def test_validation_passes_the_field_on(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    fields = [{"name": "subscriptionType", "message": "not a valid plan"}]
    refused = {"message": "Invalid input", "fields": fields, "times": 2}  # both plan families
    fail(fake, "CreateAssignment", "ValidationException", 400, **refused)
    with pytest.raises(ValidationError) as caught:
        cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO, owner=None)
    assert caught.value.field == "subscriptionType"
    assert "subscriptionType: not a valid plan" in str(caught.value)


@pytest.mark.parametrize(
    ("code", "status"),
    [("ThrottlingException", 429), ("InternalServerException", 500), ("ServiceUnavailable", 503)],
)
def test_throttling_and_5xx_are_retried(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer, code: str, status: int
) -> None:
    fail(fake, "CreateAssignment", code, status, times=2)
    view = cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO, owner=None)
    assert view.status is Status.PENDING
    assert attempts(fake, "CreateAssignment") == [status, status, 200]


def test_throttling_past_every_retry_is_reported(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    fail(fake, "CreateAssignment", "ThrottlingException", 429, times=99)
    with pytest.raises(ServiceError, match=r"throttled CreateAssignment .* past every retry"):
        cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO, owner=None)
    budget = KIRO_CLIENT_CONFIG.retries["total_max_attempts"]
    assert len(attempts(fake, "CreateAssignment")) == budget == 10


def test_a_pending_user_cannot_change_plan(cp: AwsControlPlane, seeded: env.Seeded) -> None:
    alice = seeded.users["alice"].user_id
    cp.subscribe_user("default", alice, Tier.PRO, owner=None)
    with pytest.raises(ConflictError, match="Pending subscription"):
        cp.subscribe_user("default", alice, Tier.POWER, owner=None)
    view = cp.describe_user("default", alice)
    assert view is not None and view.effective_tier is Tier.PRO


def test_an_unknown_plan_is_listed_as_kiro_names_it_and_never_guessed(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    alice, bob = seeded.users["alice"].user_id, seeded.users["bob"].user_id
    cp.subscribe_user("default", alice, Tier.PRO, owner=None)
    cp.subscribe_user("default", bob, Tier.PRO, owner=None)
    env.control(fake.url, "plan", {"userId": alice, "plan": "KIRO_ENTERPRISE_PRO_MAX"})
    with pytest.raises(UnknownPlanError, match="'alice' holds plan 'KIRO_ENTERPRISE_PRO_MAX'"):
        cp.describe_user("default", alice)  # subscribed, not "no subscription"
    listed = {v.user.user_name: v for v in cp.list_users("default")}
    assert set(listed) == {"alice", "bob"}
    assert (listed["alice"].plan, listed["alice"].tier, listed["alice"].credits) == (
        "KIRO_ENTERPRISE_PRO_MAX",
        None,
        None,
    )
    assert listed["alice"].status is Status.PENDING and listed["alice"].direct is not None
    assert listed["bob"].plan is None and listed["bob"].tier is Tier.PRO


def test_the_older_plan_names_read_back(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    alice = seeded.users["alice"].user_id
    cp.subscribe_user("default", alice, Tier.PRO_PLUS, owner=None)
    env.control(fake.url, "legacy-plans", {"enabled": True})
    view = cp.describe_user("default", alice)
    assert view is not None and view.tier is Tier.PRO_PLUS


def test_a_wrong_signing_region_is_refused(fake: FakeServer, seeded: env.Seeded) -> None:
    from kiro_provider.config import load_config, open_control_plane

    config = env.stack_config(fake.state.model.where, fake.url) | {
        "kiro:kiroRegion": "eu-central-1"
    }
    plane = open_control_plane(load_config(config, {}), actor="test")
    with pytest.raises(ServiceError, match="eu-central-1/codewhisperer"):
        plane.profiles()


def test_no_credentials(
    cp: AwsControlPlane, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from kiro_provider.boto_clients import clear_clients

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    clear_clients()
    with pytest.raises(ServiceError, match="no AWS credentials found"):
        cp.profiles()


def test_what_kiro_cannot_do_says_so(cp: AwsControlPlane, seeded: env.Seeded) -> None:
    with pytest.raises(NotSupportedError, match="not available with the AWS control plane"):
        cp.activate_user("default", seeded.users["alice"].user_id)
    with pytest.raises(NotSupportedError, match="AWS Billing"):
        cp.bill("default", "2026-11")


def test_deactivate_deletes_the_direct_assignment_only_when_that_is_all(
    cp: AwsControlPlane, seeded: env.Seeded
) -> None:
    alice, bob = seeded.users["alice"].user_id, seeded.users["bob"].user_id
    cp.subscribe_user("default", alice, Tier.PRO, owner=None)
    assert cp.deactivate_user("default", alice).status is Status.CANCELED
    cp.subscribe_user("default", bob, Tier.PRO, owner=None)
    cp.subscribe_group("default", seeded.groups["engineering"].group_id, Tier.PRO, owner=None)
    with pytest.raises(NotSupportedError, match="'engineering'"):
        cp.deactivate_user("default", bob)
    view = cp.describe_user("default", bob)
    assert view is not None and view.direct is not None  # refused before anything changed
    with pytest.raises(NotFoundError):
        cp.deactivate_user("default", seeded.users["dave"].user_id)


def test_overage_cap_is_refused_before_any_call(cp: AwsControlPlane, fake: FakeServer) -> None:
    with pytest.raises(ValidationError, match="not supported by Kiro yet"):
        cp.update_settings("default", overages_enabled=True, overage_cap=100)
    assert attempts(fake, "UpdateProfile") == []


def test_listings_follow_every_page(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    for name in ("alice", "bob", "dave"):
        cp.subscribe_user("default", seeded.users[name].user_id, Tier.PRO, owner=None)
    cp.subscribe_group("default", seeded.groups["engineering"].group_id, Tier.POWER, owner=None)
    env.control(fake.url, "page-cap", {"items": 1})
    before = len(attempts(fake, "ListUserSubscriptions"))
    users = cp.list_users("default")
    assert [v.user.user_name for v in users] == ["alice", "bob", "carol", "dave"]
    assert len(attempts(fake, "ListUserSubscriptions")) - before == 4  # one item a page
    bob = next(v for v in users if v.user.user_name == "bob")
    assert len(bob.assignments) == 2  # both claims found across pages
    assert [g.group.group_name for g in cp.list_groups("default")] == ["engineering"]


def test_the_documented_policy_grants_what_the_adapter_calls_and_kiro_checks() -> None:
    text = (REPO / "docs" / "aws.md").read_text(encoding="utf-8")
    section = text[text.index("## IAM policy") :]
    policy = json.loads(section[section.index("```json") + 7 : section.index("```\n\n")])
    granted = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert granted == {*REQUIRED_ACTIONS, *ACTIONS_KIRO_CHECKS}
    called = section[: section.index("The rest it never calls")]
    for action in REQUIRED_ACTIONS:  # each named in the list of what the adapter calls
        assert action.split(":")[1] in called
