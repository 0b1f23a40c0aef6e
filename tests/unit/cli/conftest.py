"""Fixtures for kiroctl tests: a private ledger per test and a runner that drives ``main``."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiro_provider.cli import main

from .support import Result, Run

_ENV = (
    "KIRO_LEDGER",
    "KIRO_PROFILE",
    "KIRO_DIRECTORY",
    "KIRO_SIMULATED_NOW",
    "KIRO_IDENTITY_STORE_ID",
    "KIRO_IDENTITY_STORE_REGION",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No KIRO_* variable of the caller leaks in; the working directory is private."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def run(ledger: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """``run("users", "--json")`` = ``kiroctl --ledger <tmp> users --json``."""

    def _run(*args: str) -> Result:
        capsys.readouterr()
        code = main(["--ledger", str(ledger), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def seeded(run: Run) -> Run:
    """A directory with alice, bob and carol; engineering = alice + bob."""
    for name in ("alice", "bob", "carol"):
        assert run("directory", "add-user", name, "--email", f"{name}@example.com").code == 0
    group = ("directory", "add-group", "engineering", "--member", "alice", "--member", "bob")
    assert run(*group).code == 0
    return run
