"""Pytest fixtures over ``environment``: moto_server (IAM Identity Center) once per session, the
fake Kiro per test, and an AwsControlPlane configured against them exactly as a stack would
configure it. A conftest imports the ones it needs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from kiro_provider.aws import AwsControlPlane
from kiro_provider.aws.service import forget_page_sizes
from kiro_provider.aws.snapshot import clear_snapshots
from kiro_provider.boto_clients import clear_clients
from kiro_provider.config import load_config, open_control_plane
from kiro_provider.directory.identitycenter import clear_cache
from tests.fakes import environment as env
from tests.fakes.kiro_service import FakeServer


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server, url = env.start_moto()
    yield url
    server.stop()


@pytest.fixture
def seeded(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> env.Seeded:
    env.reset_moto(moto_url)
    for name, value in env.CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IDENTITYSTORE", moto_url)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    clear_cache()
    clear_clients()
    clear_snapshots()
    forget_page_sizes()
    return env.seed(moto_url)


@pytest.fixture
def fake(seeded: env.Seeded, moto_url: str) -> Iterator[FakeServer]:
    server = FakeServer(env.coordinates(moto_url)).start()
    yield server
    server.shutdown()
    server.server_close()


NOW = datetime(2026, 11, 10, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def cp(fake: FakeServer) -> AwsControlPlane:
    """The aws control plane against the fake, both on one fixed clock."""
    fake.state.fixed_now = NOW
    config = load_config(
        env.stack_config(fake.state.model.where, fake.url),
        {"KIRO_SIMULATED_NOW": NOW.isoformat()},
    )
    plane = open_control_plane(config, actor="test")
    assert isinstance(plane, AwsControlPlane)
    return plane
