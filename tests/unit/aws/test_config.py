"""Selecting the aws control plane: stack config and environment, refusals that name the key,
the value and what is valid, and the shipped models."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from kiro_provider.aws import AwsControlPlane
from kiro_provider.aws.clients import MODELS_DIR, SERVICES
from kiro_provider.config import STACK_CONFIG_KEYS, load_config, open_control_plane
from kiro_provider.errors import ValidationError
from kiro_provider.ledger import LedgerControlPlane

INSTANCE = "arn:aws:sso:::instance/ssoins-72236ee6a4b1a3b5"
APP = "arn:aws:sso::123456789012:application/ssoins-72236ee6a4b1a3b5/apl-a1b2c3d4e5f60718"
AWS = {
    "kiro:controlPlane": "aws",
    "kiro:identityCenterInstanceArn": INSTANCE,
    "kiro:identityStoreId": "d-9067a1b2c3",
    "kiro:identityStoreRegion": "eu-west-1",
}


def test_the_ledger_stays_the_default(tmp_path: Path) -> None:
    config = load_config({"kiro:ledger": str(tmp_path / "l.db")}, {})
    assert config.control_plane == "ledger"
    assert isinstance(open_control_plane(config, actor="t"), LedgerControlPlane)


def test_aws_from_stack_config_builds_no_client() -> None:
    plane = open_control_plane(load_config(AWS, {}), actor="t")
    assert isinstance(plane, AwsControlPlane)
    service = plane.service
    assert (service.kiro_region, service.identity_center_region) == ("us-east-1", "eu-west-1")
    assert service.instance_arn == INSTANCE and service.application_arn is None
    assert pickle.loads(pickle.dumps(service)) == service  # plain data: nothing unpicklable


def test_environment_mirrors_stack_config_and_stack_config_wins() -> None:
    env = {
        "KIRO_CONTROL_PLANE": "aws",
        "KIRO_REGION": "eu-central-1",
        "KIRO_IDENTITY_CENTER_INSTANCE_ARN": INSTANCE,
        "KIRO_APPLICATION_ARN": APP,
        "KIRO_Q_ENDPOINT": "http://127.0.0.1:1",
        "KIRO_USER_SUBSCRIPTIONS_ENDPOINT": "http://127.0.0.1:2",
        "KIRO_CODEWHISPERER_ENDPOINT": "http://127.0.0.1:3",
    }
    config = load_config({"kiro:qEndpoint": "http://127.0.0.1:9"}, env)
    assert (config.control_plane, config.kiro_region) == ("aws", "eu-central-1")
    assert (config.instance_arn, config.application_arn) == (INSTANCE, APP)
    assert config.q_endpoint == "http://127.0.0.1:9"
    assert config.user_subscriptions_endpoint == "http://127.0.0.1:2"
    assert config.codewhisperer_endpoint == "http://127.0.0.1:3"


@pytest.mark.parametrize(
    ("key", "value", "valid"),
    [
        ("kiro:controlPlane", "kiro", "ledger, aws"),
        ("kiro:kiroRegion", "us-west-2", "us-east-1, eu-central-1"),
        ("kiro:identityCenterInstanceArn", "ssoins-123", "arn:aws:sso:::instance/"),
        ("kiro:applicationArn", "arn:aws:sso:::instance/ssoins-1", "application/"),
        ("kiro:qEndpoint", "codewhisperer.us-east-1.amazonaws.com", "https://"),
    ],
)
def test_a_bad_value_names_the_key_the_value_and_what_is_valid(
    key: str, value: str, valid: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        load_config({key: value}, {})
    message = str(caught.value)
    assert key in message and repr(value) in message and valid in message
    assert caught.value.field == key


def test_aws_without_its_coordinates_names_what_is_missing() -> None:
    with pytest.raises(ValidationError) as caught:
        open_control_plane(load_config({"kiro:controlPlane": "aws"}, {}), actor="t")
    message = str(caught.value)
    for key in (
        "kiro:identityCenterInstanceArn",
        "kiro:identityStoreId",
        "kiro:identityStoreRegion",
    ):
        assert key in message


def test_the_providers_read_every_key() -> None:
    from kiro_provider.resources import base

    assert set(base._CONFIG_KEYS) == set(STACK_CONFIG_KEYS)
    assert {"kiro:controlPlane", "kiro:applicationArn", "kiro:codewhispererEndpoint"} <= set(
        STACK_CONFIG_KEYS
    )


def test_the_models_ship_with_the_package() -> None:
    pyproject = (Path(__file__).resolve().parents[3] / "pyproject.toml").read_text()
    assert '"kiro_provider" = ["aws/models/*/*/*.json"]' in pyproject
    for service in SERVICES:
        (version,) = (MODELS_DIR / service).iterdir()
        assert (version / "service-2.json").is_file()
        assert (version / "paginators-1.json").is_file()
