from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiro_provider.config import load_config, open_control_plane
from kiro_provider.controlplane import ControlPlane
from kiro_provider.ledger import LedgerDirectory, open_ledger
from kiro_provider.resources import base

NOW = "2026-11-15T12:00:00Z"


@dataclass
class World:
    """A ledger with a small directory, reachable the way the providers reach it."""

    ledger_path: Path
    ids: dict[str, str]

    def console(self) -> ControlPlane:
        """The control plane as an administrator at the console (owner None)."""
        return open_control_plane(load_config(), actor="test-console")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    ledger_path = tmp_path / "ledger.db"
    monkeypatch.setenv("KIRO_LEDGER", str(ledger_path))
    monkeypatch.setenv("KIRO_SIMULATED_NOW", NOW)
    monkeypatch.setattr(base, "_stack_config", {})
    directory = LedgerDirectory(open_ledger(str(ledger_path)))
    ids = {}
    for name in ("alice", "bob", "carol"):
        ids[name] = directory.add_user(name, email=f"{name}@example.com").user_id
    ids["engineering"] = directory.add_group("engineering", members=["alice", "carol"]).group_id
    yield World(ledger_path, ids)
