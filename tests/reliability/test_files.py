"""Damaged ledger files through every entry point: reported, never silently replaced; a new
ledger is created 0600 whatever the umask. (tests/unit/ledger covers open_ledger itself.)"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiro_provider.cli import main
from kiro_provider.ledger import LedgerDirectory, open_ledger
from kiro_provider.ledger import store as ledger_store
from kiro_provider.resources import SubscriptionProvider, base


def _good(path: Path) -> bytes:
    directory = LedgerDirectory(open_ledger(str(path)))
    directory.add_user("alice")
    return path.read_bytes()


DAMAGE: dict[str, Callable[[Path], object]] = {
    "garbage": lambda p: p.write_bytes(b"not a ledger \x00\xff" * 100),
    "truncated-header": lambda p: p.write_bytes(_good(p)[:50]),
    "truncated-pages": lambda p: p.write_bytes(_good(p)[:5000]),
    "zeroed-middle": lambda p: p.write_bytes(
        (lambda b: b[:4096] + b"\x00" * 4096 + b[8192:])(_good(p))
    ),
    "text-file": lambda p: p.write_text("KIRO_LEDGER=alice\n"),
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "ledger.db"
    monkeypatch.setenv("KIRO_LEDGER", str(path))
    monkeypatch.setattr(base, "_stack_config", {})
    for name in ("KIRO_DIRECTORY", "KIRO_PROFILE", "KIRO_SIMULATED_NOW"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(ledger_store, "_opened", set())  # re-check the file in this process
    yield path


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_ledger_is_reported_and_left_as_it_was(
    env: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = env.with_name("damaged.db")
    DAMAGE[damage](damaged)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{env}{suffix}").unlink(missing_ok=True)
    os.replace(damaged, env)
    ledger_store._opened.clear()
    content = env.read_bytes()

    result = SubscriptionProvider().check({}, {"owner": "p/s/a", "user": "alice", "tier": "Pro"})
    reasons = " ".join(f.reason for f in result.failures)
    assert "ledger" in reasons and str(env) in reasons, reasons

    capsys.readouterr()
    assert main(["--ledger", str(env), "users"]) == 1
    err = capsys.readouterr().err
    assert str(env) in err and "Traceback" not in err, err
    assert env.read_bytes() == content  # never replaced, never "repaired"


@pytest.mark.parametrize("entry", ["kiroctl", "provider"])
def test_a_new_ledger_is_0600_under_a_permissive_umask(env: Path, entry: str) -> None:
    old = os.umask(0o000)
    try:
        if entry == "kiroctl":
            assert main(["--ledger", str(env), "directory", "add-user", "alice"]) == 0
        else:
            SubscriptionProvider().check({}, {"owner": "p/s/a", "user": "alice", "tier": "Pro"})
    finally:
        os.umask(old)
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
