"""The installed ``kiroctl`` console script runs end to end in a real process."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import KIROCTL


def test_installed_kiroctl_runs(tmp_path: Path) -> None:
    # Beside the interpreter running the tests, where pip installs it: scripts/test does not
    # put the virtualenv on PATH.
    exe = KIROCTL
    if not exe.is_file():
        pytest.fail(f"the kiroctl console script is not installed at {exe}: run `pip install -e .`")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIRO_")}
    env["KIRO_LEDGER"] = str(tmp_path / "ledger.db")

    def kiroctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )

    assert kiroctl("directory", "add-user", "alice").returncode == 0
    subscribed = kiroctl("subscribe", "alice", "--tier", "pro+")
    assert (subscribed.returncode, subscribed.stdout) == (0, "alice: Pro+ (Pending)\n")
    [row] = json.loads(kiroctl("users", "--json").stdout)
    assert (row["user_name"], row["tier"], row["status"]) == ("alice", "Pro+", "Pending")
    bad = kiroctl("subscribe", "alice", "--tier", "gold")
    assert bad.returncode == 2
    assert bad.stderr == (
        "kiroctl: error: tier: 'gold' is not a tier; expected one of Pro, Pro+, Power\n"
    )
