"""The benchmark command runs end to end on a tiny N and prints a complete table.

No timing is asserted (the machine is shared and noisy); only that every row is there and that
its numbers are sane.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

from tests.e2e.harness import REPO
from tests.fakes.organisation import Organisation

TINY = (
    *("--sizes", "5", "--repeat", "1", "--ops", "100", "--members", "300"),
    *("--export-users", "200", "--export-groups", "5"),
    *("--aws-sizes", "5", "--aws-members", "3", "--aws-users", "20"),
)
ROWS = (
    "up (create), N=5",
    "preview --refresh, N=5",
    "  same-shape no-op: up, N=5",
    "  same-shape no-op: preview --refresh, N=5",
    "  preview --refresh CPU s, program",
    "  preview --refresh CPU s, provider",
    "  preview --refresh CPU s, engine",
    "SDK's own path: up, N=5",
    "SDK's own path: preview --refresh, N=5",
    "__provider bytes per copy",
    "state bytes per resource",
    "ledger subscribe_user ops/s",
    "ledger describe_user ops/s",
    "group of 300, embedded (s)",
    "group of 300, Identity Center/moto (s)",
    "provider process peak RSS MB, N=5",
    "kiroctl export --format python, 200 direct + 5 groups (s)",
    "kiroctl export --format yaml, 200 direct + 5 groups (s)",
    "aws: up, N=5 + group of 3",
    "aws: preview --refresh, N=5 + group of 3",
    "aws: Kiro listing calls, preview --refresh, N=5 + group of 3",
    "aws: Kiro calls, up | preview --refresh, N=5 + group of 3",
    "aws: identitystore calls, up | preview --refresh, N=5 + group of 3",
    "aws: kiroctl users, 20 users",
    "aws: kiroctl groups, 20 users",
)


def _numbers(line: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", line)]


def test_benchmark_command_prints_a_complete_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", *TINY],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("machine: ")
    table = {row: next(ln for ln in lines if ln.startswith(row)) for row in ROWS}
    for row, line in table.items():
        values = _numbers(line.removeprefix(row))
        assert values and all(v > 0 for v in values), line
    # Bytes: kiro's provider pickles by reference, the naive one (class in __main__) by value.
    kiro, _floor, naive, _ratio, target = _numbers(
        table["__provider bytes per copy"].split(")", 1)[1]
    )
    assert kiro < naive and target == 200
    assert "MISSED" not in table["state bytes per resource"]
    assert "group of 300, embedded (s)" in table and "ok" in table["group of 300, embedded (s)"]
    assert table["aws: Kiro listing calls, preview --refresh, N=5 + group of 3"].endswith("ok")
    for what in ("up, N=5", "preview --refresh, N=5", "kiroctl users", "kiroctl groups"):
        detail = [ln for ln in lines if ln.startswith(f"  {what}")]
        assert detail and "ListUserSubscriptions" in detail[0], what
    assert re.search(r"^total \d", result.stdout, re.MULTILINE)


def test_growth_rows_state_the_exponent_of_time_in_n() -> None:
    from benchmarks.__main__ import _growth_rows
    from benchmarks.engine import Samples, StackRun

    def run(up: float, preview: float, rss: float) -> StackRun:
        return StackRun(up=Samples([up]), preview=Samples([preview]), peak_rss_mb=Samples([rss]))

    # kiro: linear up (x5 for 5x the resources), quadratic preview; the floor: linear both.
    runs = {
        1000: (run(6.0, 7.0, 64.0), run(5.0, 7.0, 60.0), run(0, 0, 0)),
        5000: (run(30.0, 175.0, 72.0), run(25.0, 35.0, 60.0), run(0, 0, 0)),
    }
    rows = {row.name: row for row in _growth_rows(runs)}
    up = rows["up (create) growth exponent, N=1,000 -> 5,000"]
    preview = rows["preview --refresh growth exponent, N=1,000 -> 5,000"]
    assert (up.kiro, up.reference) == ("1.00", "1.00")
    assert (preview.kiro, preview.reference) == ("2.00", "1.00")
    assert rows["provider peak RSS growth, N=1,000 -> 5,000"].kiro == "1.12x"
    assert _growth_rows({1000: runs[1000]}) == []


ORGANISATION_TINY = (
    *("--organisation", "--repeat", "1", "--org-direct", "4,8", "--org-users", "40"),
    *("--org-groups", "3", "--org-smallest", "4", "--org-largest", "16", "--org-changed", "3"),
)


def test_organisation_table_has_every_command_both_ways_and_kiroctl_on_every_record() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", *ORGANISATION_TINY],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    records = Organisation(40, 3, 4, 16).records(8)
    for label in ("ledger directory", "Identity Center"):
        for size in (4, 8):
            for mode in ("skip checkpoints", "checkpoints"):
                at = f"{size} direct + 3 groups, {mode}"
                for what in ("up (create)", "up changing tiers", "preview --refresh"):
                    row = next(ln for ln in lines if ln.startswith(f"org ({label}): {what}, {at}"))
                    kiro, floor, ratio, *target = _numbers(row.split(mode, 1)[1])
                    assert kiro > 0 and floor > 0 and ratio > 0, row
                    with_target = mode == "skip checkpoints" and label == "ledger directory"
                    assert (target == [1.10]) == with_target, row
                    prefix = f"  same-shape no-op: {what}, {at}"
                    shaped = [ln for ln in lines if ln.startswith(prefix)]
                    assert len(shaped) == 1, shaped  # measured in the ledger directory's pass
        growth = f"org ({label}): provider peak RSS growth, 4 -> 8"
        assert "<= 1.2x" in next(ln for ln in lines if ln.startswith(growth))
        users = next(ln for ln in lines if ln.startswith(f"org ({label}): kiroctl users --json,"))
        assert f"{records} records" in users and users.rstrip().endswith(("ok", "MISSED"))
        assert any(ln.startswith(f"org ({label}): kiroctl bill, {records} records") for ln in lines)
    calls = next(ln for ln in lines if ln.startswith("org (Identity Center): identitystore calls"))
    up, _change, drift = _numbers(calls.split("checkpoints", 1)[1])
    assert up > 0 and drift > 0, calls  # the directory is read, and counted


def test_organisation_groups_overlap_and_cover_every_user() -> None:

    org = Organisation()
    sizes = org.group_sizes()
    assert (len(sizes), sizes[0], sizes[-1]) == (50, 10, 2000)
    assert sizes == sorted(sizes)
    members = [set(m) for m in org.group_members().values()]
    assert all(len(m) == n for m, n in zip(members, sizes, strict=True))
    assert all(a & b for a, b in itertools.pairwise(members))  # neighbours overlap
    assert org.records(5000) == org.users == len(set().union(*members))
