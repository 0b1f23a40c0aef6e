"""Faults from IAM Identity Center (moto, with faults injected through botocore's events) while
the resource providers subscribe users and groups on the embedded ledger: AccessDenied and
timeouts are clear errors, throttling is retried, and a failed operation changes nothing.

tests/unit/directory covers the directory's own error mapping; this proves the layers above
stop cleanly, with the ledger exactly as it was (a full logical dump before and after).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws

from kiro_provider.directory.identitycenter import clear_cache, identitystore_client
from kiro_provider.ledger import open_ledger
from kiro_provider.resources import GroupAssignmentProvider, SubscriptionProvider, base
from kiro_provider.resources.base import ProviderError
from tests.e2e.harness import ledger_dump

REGION = "us-east-1"
OWNER = "proj/stack/faults"
groups = GroupAssignmentProvider()
subs = SubscriptionProvider()


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A ledger whose directory is a moto identity store: team = alice, bob, carol."""
    path = tmp_path / "ledger.db"
    with mock_aws():
        admin = boto3.client("identitystore", region_name=REGION)
        store = boto3.client("sso-admin", region_name=REGION).list_instances()["Instances"][0][
            "IdentityStoreId"
        ]
        group_id = admin.create_group(IdentityStoreId=store, DisplayName="team")["GroupId"]
        for name in ("alice", "bob", "carol"):
            user_id = admin.create_user(
                IdentityStoreId=store,
                UserName=name,
                DisplayName=name,
                Name={"GivenName": name, "FamilyName": "T"},
            )["UserId"]
            admin.create_group_membership(
                IdentityStoreId=store, GroupId=group_id, MemberId={"UserId": user_id}
            )
        for key, value in {
            "KIRO_LEDGER": str(path),
            "KIRO_DIRECTORY": "identitycenter",
            "KIRO_IDENTITY_STORE_ID": store,
            "KIRO_IDENTITY_STORE_REGION": REGION,
            "KIRO_SIMULATED_NOW": "2026-11-15T12:00:00Z",
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(base, "_stack_config", {})
        monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
        open_ledger(str(path))
        clear_cache()
        yield path
        clear_cache()


def _refuse(code: str) -> Callable[..., tuple[AWSResponse, dict[str, Any]]]:
    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {}}
        return AWSResponse("https://identitystore", 400, {}, None), parsed

    return handler


class _Raw:
    """The raw body botocore reads from an AWSResponse."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _throttle(times: int, attempts: list[int]) -> Callable[..., AWSResponse | None]:
    """A before-send hook: the first ``times`` attempts are throttled on the wire (so
    botocore's retry handler sees them), later ones reach moto."""

    def handler(**_: Any) -> AWSResponse | None:
        attempts.append(1)
        if len(attempts) > times:
            return None
        body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
        headers = {"x-amzn-errortype": "ThrottlingException"}
        return AWSResponse("https://identitystore", 400, headers, _Raw(body))

    return handler


def _time_out(**kwargs: Any) -> None:
    raise ReadTimeoutError(endpoint_url="https://identitystore.us-east-1.amazonaws.com")


def _inject(operation: str, fault: str, attempts: list[int] | None = None) -> None:
    events = identitystore_client(REGION).meta.events
    if fault == "ThrottlingException":  # on the wire: first, before moto's own handler
        handler = _throttle(1_000, [] if attempts is None else attempts)
        events.register_first(f"before-send.identitystore.{operation}", handler)
    elif fault == "timeout":
        events.register(f"before-call.identitystore.{operation}", _time_out)
    else:
        events.register(f"before-call.identitystore.{operation}", _refuse(fault))


FAULTS = [
    pytest.param("AccessDeniedException", ["denied"], id="access-denied"),
    pytest.param("ThrottlingException", ["throttled", "every retry"], id="throttled-past-retries"),
    pytest.param("timeout", ["list_group_memberships", "timeout"], id="read-timeout"),
]


@pytest.mark.parametrize(("fault", "fragments"), FAULTS)
def test_a_fault_while_reading_members_leaves_the_ledger_unchanged(
    ledger: Path, fault: str, fragments: list[str]
) -> None:
    inputs = groups.check({}, {"owner": OWNER, "group": "team", "tier": "Pro"})
    assert inputs.failures == []
    before = ledger_dump(ledger)
    attempts: list[int] = []
    _inject("ListGroupMemberships", fault, attempts)
    with pytest.raises(ProviderError) as caught:
        groups.create(inputs.inputs)
    message = str(caught.value)
    assert all(f.lower() in message.lower() for f in fragments), message
    assert ledger_dump(ledger) == before
    if fault == "ThrottlingException":
        assert len(attempts) == 5  # retried by botocore's standard mode, then given up


@pytest.mark.parametrize(("fault", "fragments"), FAULTS[:2])
def test_a_fault_while_resolving_a_user_is_a_check_failure(
    ledger: Path, fault: str, fragments: list[str]
) -> None:
    before = ledger_dump(ledger)
    _inject("GetUserId", fault)
    result = subs.check({}, {"owner": OWNER, "user": "alice", "tier": "Pro"})
    reasons = " ".join(f.reason for f in result.failures)
    assert result.failures and all(f.lower() in reasons.lower() for f in fragments), reasons
    assert ledger_dump(ledger) == before


def test_throttling_that_clears_is_retried_and_the_group_is_applied_whole(ledger: Path) -> None:
    inputs = groups.check({}, {"owner": OWNER, "group": "team", "tier": "Pro+"})
    attempts: list[int] = []
    events = identitystore_client(REGION).meta.events
    events.register_first("before-send.identitystore.ListGroupMemberships", _throttle(2, attempts))
    outs = groups.create(inputs.inputs).outs or {}
    assert len(attempts) == 3
    assert outs["member_count"] == 3
    assert sorted(m["user_name"] for m in outs["members"]) == ["alice", "bob", "carol"]
