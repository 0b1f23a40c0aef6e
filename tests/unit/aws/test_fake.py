"""The fake refuses what a real Kiro endpoint would refuse, so the adapter's tests prove more
than "the adapter agrees with itself"."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fakes import environment as env
from tests.fakes.kiro_service import FakeServer

CREDS = Credentials(env.CREDENTIALS["AWS_ACCESS_KEY_ID"], env.CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


def post(
    fake: FakeServer,
    target: str,
    body: dict[str, Any],
    *,
    sign_as: tuple[str, str] | None = ("q", "us-east-1"),
    content_type: str = "application/x-amz-json-1.0",
) -> tuple[int, dict[str, Any]]:
    request = AWSRequest(
        "POST",
        fake.url + "/",
        data=json.dumps(body),
        headers={"Content-Type": content_type, "X-Amz-Target": target},
    )
    if sign_as is not None:
        SigV4Auth(CREDS, *sign_as).add_auth(request)
    prepared = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


CREATE = "AmazonQDeveloperService.CreateAssignment"


def test_a_well_formed_call_is_served(fake: FakeServer, seeded: env.Seeded) -> None:
    body = {
        "principalId": seeded.users["alice"].user_id,
        "principalType": "USER",
        "subscriptionType": "KIRO_ENTERPRISE_PRO",
    }
    assert post(fake, CREATE, body) == (200, {})


def test_an_unsigned_call_is_refused(fake: FakeServer) -> None:
    status, body = post(fake, CREATE, {}, sign_as=None)
    assert status == 403 and body["__type"].endswith("#MissingAuthenticationTokenException")


@pytest.mark.parametrize("scope", [("codewhisperer", "us-east-1"), ("q", "eu-central-1")])
def test_the_wrong_signing_service_or_region_is_refused(
    fake: FakeServer, scope: tuple[str, str]
) -> None:
    status, body = post(fake, CREATE, {}, sign_as=scope)
    assert status == 403 and body["__type"].endswith("#InvalidSignatureException")


def test_the_wrong_content_type_is_refused(fake: FakeServer) -> None:
    status, body = post(fake, CREATE, {}, content_type="application/json")
    assert status == 400 and body["__type"].endswith("#SerializationException")


def test_an_unknown_target_is_refused(fake: FakeServer) -> None:
    status, body = post(fake, "AmazonQDeveloperService.CreateClaim", {})
    assert status == 400 and body["__type"].endswith("#UnknownOperationException")


@pytest.mark.parametrize("missing", ["principalId", "principalType", "subscriptionType"])
def test_a_missing_required_field_is_a_validation_error(fake: FakeServer, missing: str) -> None:
    body = {"principalId": "u", "principalType": "USER", "subscriptionType": "KIRO_ENTERPRISE_PRO"}
    del body[missing]
    status, answer = post(fake, CREATE, body)
    assert status == 400 and answer["__type"].endswith("#ValidationException")
    assert answer["fieldList"][0]["name"] == missing


def test_an_unknown_plan_is_refused(fake: FakeServer, seeded: env.Seeded) -> None:
    body = {
        "principalId": seeded.users["alice"].user_id,
        "principalType": "USER",
        "subscriptionType": "KIRO_ENTERPRISE_PRO_MAX",
    }
    status, answer = post(fake, CREATE, body)
    assert status == 400 and answer["fieldList"][0]["name"] == "subscriptionType"


def test_listing_needs_the_user_subscriptions_signature(fake: FakeServer) -> None:
    target = "AWSZornControlPlaneService.ListUserSubscriptions"
    body = {"instanceArn": fake.state.model.where.instance_arn, "subscriptionRegion": "us-east-1"}
    assert post(fake, target, body)[0] == 403  # signed as q
    assert post(fake, target, body, sign_as=("user-subscriptions", "us-east-1")) == (
        200,
        {"subscriptions": []},
    )
