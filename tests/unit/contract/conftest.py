"""One ``Backend`` per control-plane implementation: the ledger (ours, applying R1-R9) and
the aws adapter over the fake Kiro service. Both read users and groups from the same moto
IAM Identity Center, and both run on one settable clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from kiro_provider.aws import AwsControlPlane
from kiro_provider.aws.snapshot import clear_snapshots
from kiro_provider.controlplane import ControlPlane
from kiro_provider.directory.identitycenter import IdentityCenterDirectory, clear_cache
from kiro_provider.ledger import LedgerControlPlane, open_ledger
from kiro_provider.ledger.store import close_connections
from tests.fakes import environment as env
from tests.fakes.fixtures import NOW, cp, fake, moto_url, seeded
from tests.fakes.kiro_service import FakeServer

__all__ = ["cp", "fake", "moto_url", "seeded"]


@dataclass
class Backend:
    """A control plane and the few things a test does from outside it."""

    name: str
    cp: ControlPlane
    seeded: env.Seeded
    #: The user's first sign-in (R2: an event from outside IaC).
    sign_in: Callable[[str], None]
    #: Move "now" for the control plane (and, for aws, the fake Kiro).
    set_now: Callable[[datetime], None]
    moto_url: str

    def add_member(self, group: str, user: str) -> None:
        env.add_member(
            self.moto_url, self.seeded.groups[group].group_id, self.seeded.users[user].user_id
        )
        clear_cache()  # the directory keeps member lists for 30 s within a process
        clear_snapshots()  # and Kiro's listings

    def uid(self, name: str) -> str:
        return self.seeded.users[name].user_id

    def gid(self, name: str) -> str:
        return self.seeded.groups[name].group_id


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _ledger(tmp_path: Path, seeded: env.Seeded, moto_url: str) -> Backend:
    clock = Clock(NOW)
    plane = LedgerControlPlane(
        open_ledger(tmp_path / "ledger.db"),
        IdentityCenterDirectory(env.STORE_ID, env.REGION),
        clock,
        actor="test",
    )

    def sign_in(user_id: str) -> None:
        plane.activate_user("default", user_id)

    def set_now(now: datetime) -> None:
        clock.now = now

    return Backend("ledger", plane, seeded, sign_in, set_now, moto_url)


def _aws(plane: AwsControlPlane, fake: FakeServer, seeded: env.Seeded, moto_url: str) -> Backend:
    clock = Clock(NOW)
    plane.clock = clock

    def sign_in(user_id: str) -> None:
        env.control(fake.url, "sign-in", {"userId": user_id})

    def set_now(now: datetime) -> None:
        clock.now = now
        fake.state.fixed_now = now
        clear_snapshots()  # a change behind the adapter's back, as env.control makes

    return Backend("aws", plane, seeded, sign_in, set_now, moto_url)


@pytest.fixture(params=["ledger", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, seeded: env.Seeded, moto_url: str
) -> Iterator[Backend]:
    if request.param == "ledger":
        yield _ledger(tmp_path, seeded, moto_url)
        close_connections()
        return
    plane = request.getfixturevalue("cp")
    yield _aws(plane, request.getfixturevalue("fake"), seeded, moto_url)
