"""Fixtures for the ledger tests: a fresh ledger file, its directory, a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kiro_provider.controlplane import Group, User
from kiro_provider.ledger import Ledger, LedgerControlPlane, LedgerDirectory, open_ledger
from kiro_provider.ledger.store import close_connections


class Clock:
    """A clock a test sets: ``clock.set("2025-11-30T23:59:59")``; always aware UTC."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, iso: str) -> None:
        self.now = utc(iso)


def utc(iso: str) -> datetime:
    """An aware UTC datetime from ``YYYY-MM-DD[THH:MM:SS]``."""
    return datetime.fromisoformat(iso).replace(tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    close_connections()


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return open_ledger(tmp_path / "ledger.db")


@pytest.fixture
def clock() -> Clock:
    return Clock(utc("2025-11-10T12:00:00"))


@pytest.fixture
def directory(ledger: Ledger, clock: Clock) -> LedgerDirectory:
    return LedgerDirectory(ledger, clock=clock)


@pytest.fixture
def cp(ledger: Ledger, directory: LedgerDirectory, clock: Clock) -> LedgerControlPlane:
    return LedgerControlPlane(ledger, directory, clock, actor="test")


@pytest.fixture
def users(directory: LedgerDirectory) -> dict[str, User]:
    """alice, bob and carol in the directory."""
    return {
        name: directory.add_user(name, f"{name}@example.com") for name in ("alice", "bob", "carol")
    }


@pytest.fixture
def groups(directory: LedgerDirectory, users: dict[str, User]) -> dict[str, Group]:
    """eng = {alice, bob}, ops = {bob, carol}."""
    return {
        "eng": directory.add_group("eng", ["alice", "bob"]),
        "ops": directory.add_group("ops", ["bob", "carol"]),
    }
