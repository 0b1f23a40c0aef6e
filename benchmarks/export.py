"""``kiroctl export`` of a large profile: the whole command, process start to exit, as a user
runs it, on the embedded ledger."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.engine import Samples
from benchmarks.ledger import measure_ledger_script
from kiro_provider.domain.tiers import Tier
from kiro_provider.ledger import LedgerDirectory

KIROCTL = Path(sys.executable).parent / "kiroctl"
LANGUAGES = ("python", "yaml")
#: Members of each group, drawn from neighbouring users so that groups overlap.
GROUP_SIZE = 40


def measure_export(users: int, groups: int, language: str, repeat: int) -> Samples:
    """Seconds for ``kiroctl export --format LANGUAGE`` of a profile with ``users`` direct
    subscriptions (every tier, 1 in 10 with a downgrade scheduled) and ``groups`` group
    assignments of overlapping members. Seeding is not timed."""
    ml = measure_ledger_script()
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        ledger = Path(tmp) / "ledger.db"
        _seed(ledger, users, groups)
        for run in range(repeat):
            out = Path(tmp) / f"out-{run}"
            command = [str(KIROCTL), "--ledger", str(ledger), "--now", ml.NOW.isoformat()]
            started = time.perf_counter()
            subprocess.run(
                [*command, "export", "--format", language, "--out", str(out)],
                check=True,
                capture_output=True,
            )
            samples.values.append(time.perf_counter() - started)
    return samples


def _seed(path: Path, users: int, groups: int) -> None:
    cp, ids = measure_ledger_script()._control_plane(path, users)
    assert isinstance(cp.directory, LedgerDirectory)
    tiers = list(Tier)
    for i, user_id in enumerate(ids):
        cp.subscribe_user("default", user_id, tiers[i % 3], owner=None)
        if i % 10 == 2:  # Power: go down to Pro on the 1st
            cp.subscribe_user("default", user_id, Tier.PRO, owner=None)
    step = max(1, len(ids) // max(1, groups))
    for g in range(groups):
        members = ids[g * step : g * step + GROUP_SIZE]
        group = cp.directory.add_group(f"Team {g:03d}", members)
        cp.subscribe_group("default", group.group_id, tiers[g % 3], owner=None)
