"""Crash trials: kill -9 `pulumi` or the dynamic provider during an `up`, recover, converge.

Each trial: a fresh ledger and a fresh stack of M Subscriptions (the e2e `organisation`
program), and with ``--groups G`` also G GroupAssignments of overlapping groups over 2M users
(tests/fakes/organisation.py; at M = 5,000 and G = 50, the organisation of the benchmarks);
`pulumi up` starts; at a random moment (once a random number of subscriptions is in the
ledger, from 0 to all of them) the `pulumi` process, the provider process, or both get SIGKILL.
Then the documented recovery runs:

    pulumi cancel --yes                      # only if the killed run left the stack locked
    pulumi refresh --yes --skip-preview --clear-pending-creates
    pulumi up --yes --skip-preview
    pulumi preview --refresh --expect-no-changes

and the trial checks: the ledger equals the declared state (one direct assignment per declared
user and one group assignment per group, owned by this stack, at the declared tier; each member
assigned through each of its groups; every subscription at the highest tier its user is
assigned), no user has two subscriptions, every history row present at the moment of the kill
is still there unchanged, the state has no pending operations and exactly M Subscriptions with
distinct ids and G GroupAssignments, and the drift check passes.

With ``--skip-checkpoints`` every command runs with ``PULUMI_SKIP_CHECKPOINTS=true`` (the engine
saves the state only when a command ends), so a killed `up` leaves the state of the run before
it, and the recovery's `up` meets assignments this stack already wrote: it must adopt them (same
owner, same resource name) and change no plan.

Run:  .venv/bin/python -m tests.reliability.crash_trials --trials 20 --resources 300 --kill both
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiro_provider.ledger import LedgerDirectory, open_ledger
from tests.e2e.harness import E2EStack, engine_bin, new_stack
from tests.fakes.organisation import TIERS, Organisation

PROGRAM = Path(__file__).resolve().parents[1] / "e2e" / "programs" / "organisation"
PROJECT = "kiro-organisation"
KINDS = ("pulumi", "provider")
PROVIDER_MARKERS = ("pulumi-resource-pulumi-python", "pulumi.dynamic")
UP_TIMEOUT_S = 900.0
#: The engine's switch to save the state only at the end of a command.
SKIP_CHECKPOINTS = {"PULUMI_SKIP_CHECKPOINTS": "true"}


@dataclass
class TrialResult:
    """What one trial did and whether everything held."""

    kind: str
    index: int
    killed_at_records: int
    killed: list[str]
    exited_before_kill: bool
    seconds: float
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` from /proc (Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    out: list[int] = []
    stack = [pid]
    while stack:
        for child in _children(stack.pop()):
            out.append(child)
            stack.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def provider_pids(pulumi_pid: int) -> list[int]:
    """The dynamic provider processes (the wrapper script and the python it runs)."""
    return [p for p in descendants(pulumi_pid) if any(m in cmdline(p) for m in PROVIDER_MARKERS)]


def record_count(ledger: Path) -> int:
    """Subscriptions in the ledger now (read-only; 0 while the file is busy)."""
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM subscriptions").fetchone()[0])
    except sqlite3.Error:
        return 0


def history_rows(ledger: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=30) as conn:
        return list(conn.execute("SELECT * FROM history ORDER BY id"))


def organisation(resources: int, groups: int) -> Organisation:
    """The directory of a trial: M users; with groups, 2M users and groups of up to 2,000
    (at M = 5,000 and 50 groups: the benchmarks' organisation)."""
    if not groups:
        return Organisation(users=resources, groups=0)
    largest = min(2000, resources)
    return Organisation(2 * resources, groups, smallest=min(10, largest), largest=largest)


def _setup(
    work: Path, resources: int, skip_checkpoints: bool, groups: int = 0
) -> tuple[E2EStack, Path]:
    ledger = work / "ledger.db"
    organisation(resources, groups).seed_ledger(LedgerDirectory(open_ledger(str(ledger))))
    e2e = new_stack(
        PROGRAM,
        work,
        config={"direct": str(resources), "groups": str(groups), "kiro:ledger": str(ledger)},
        env={"KIRO_LEDGER": str(ledger), **(SKIP_CHECKPOINTS if skip_checkpoints else {})},
    )
    return e2e, ledger


def _pulumi(e2e: E2EStack, *args: str) -> list[str]:
    return [str(engine_bin() / "pulumi"), *args, "--stack", e2e.stack.name, "--non-interactive"]


def _kill_during_up(
    e2e: E2EStack, ledger: Path, kind: str, target: int, rng: random.Random
) -> tuple[list[str], bool]:
    """Start `up`, SIGKILL ``kind`` once ``target`` records exist; return what was killed."""
    proc = subprocess.Popen(
        _pulumi(e2e, "up", "--yes", "--skip-preview", "--parallel", "16"),
        cwd=e2e.work_dir,
        env={**os.environ, **e2e.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # At target 0, kill at a random moment of start-up instead.
    deadline = time.monotonic() + (rng.uniform(0.5, 4.0) if target == 0 else UP_TIMEOUT_S)
    providers: list[int] = []
    while proc.poll() is None and time.monotonic() < deadline:
        providers = provider_pids(proc.pid) or providers
        if target and record_count(ledger) >= target and (kind == "pulumi" or providers):
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        return [], True
    family = descendants(proc.pid)
    providers = provider_pids(proc.pid)
    killed = []
    if kind in ("provider", "both"):
        for pid in providers:
            _sigkill(pid)
        killed += [f"provider:{p}" for p in providers]
    if kind in ("pulumi", "both") or not providers:
        _sigkill(proc.pid)
        killed.append(f"pulumi:{proc.pid}")
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        _sigkill(proc.pid)
        proc.wait()
    _reap(family)
    return killed, False


def _sigkill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap(pids: Sequence[int], grace_s: float = 5.0) -> None:
    """Wait for plugins orphaned by the kill to exit on their own; then end them."""
    deadline = time.monotonic() + grace_s
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and not _zombie(p)]
        time.sleep(0.2)
    for pid in alive:
        _sigkill(pid)


def _zombie(pid: int) -> bool:
    try:
        return ") Z " in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True


def repair_backend(e2e: E2EStack) -> list[str]:
    """Remove the empty ``*.attrs`` files a kill can leave in a file:// backend.

    The file:// backend (gocloud.dev fileblob) writes each object's ``.attrs`` sidecar without
    an atomic rename; a SIGKILL at that moment leaves it empty and every later command fails
    with ``failed to load checkpoint: EOF``. The checkpoint itself is intact (its write is
    atomic), and an absent sidecar is valid, so removing the empty one is the repair.
    """
    backend = Path(e2e.env["PULUMI_BACKEND_URL"].removeprefix("file://")) / ".pulumi"
    empty = [p for p in backend.rglob("*.attrs") if p.stat().st_size == 0]
    for path in empty:
        path.unlink()
    return [str(p.relative_to(backend)) for p in empty]


def recover(e2e: E2EStack) -> list[str]:
    """The documented recovery; returns problems (a step that failed)."""
    problems: list[str] = []
    env = {**os.environ, **e2e.env}

    def step(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            _pulumi(e2e, *args), cwd=e2e.work_dir, env=env, text=True, capture_output=True
        )
        if check and result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            problems.append(f"`pulumi {' '.join(args)}` exited {result.returncode}: {tail}")
        return result

    step("cancel", "--yes", check=False)  # a killed run may leave the stack locked
    step("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
    step("up", "--yes", "--skip-preview", "--parallel", "16")
    step("preview", "--refresh", "--expect-no-changes", "--parallel", "16")
    return problems


def converged(
    e2e: E2EStack,
    ledger: Path,
    resources: int,
    history: list[tuple[object, ...]],
    groups: int = 0,
) -> list[str]:
    """What differs from the declared state (empty when everything held)."""
    problems: list[str] = []
    org = organisation(resources, groups)
    owner = f"{PROJECT}/{e2e.stack.name}/"
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=30) as conn:
        subs = list(conn.execute("SELECT user_name, status, effective_tier FROM subscriptions"))
        direct = list(
            conn.execute(
                "SELECT u.user_name, a.tier, a.owner, count(*) OVER (PARTITION BY a.user_id) "
                "FROM assignments a JOIN users u USING (user_id) WHERE a.group_id IS NULL"
            )
        )
        assigned_groups = list(
            conn.execute("SELECT group_name, tier, owner FROM group_assignments")
        )
        through_groups = set(
            conn.execute(
                "SELECT g.group_name, u.user_name, a.tier FROM assignments a "
                "JOIN users u USING (user_id) JOIN groups g USING (group_id)"
            )
        )
        twice = conn.execute(
            "SELECT count(*) FROM (SELECT profile, user_id FROM subscriptions "
            "GROUP BY profile, user_id HAVING count(*) > 1)"
        ).fetchone()[0]
    want = org.effective_tiers(resources)
    got_subs = {name: (status, tier) for name, status, tier in subs}
    if len(subs) != len(want) or set(got_subs) != set(want):
        problems.append(f"ledger holds {len(subs)} subscriptions, declared {len(want)}")
    bad = [n for n, (s, t) in got_subs.items() if s == "Canceled" or want.get(n) != t]
    if bad:
        problems.append(f"{len(bad)} subscriptions differ from the declared tier/status: {bad[:3]}")
    if twice:
        problems.append(f"{twice} users hold two subscriptions")
    wrong = [
        row[0]
        for row in direct
        if row[3] != 1
        or row[1] != TIERS[int(row[0].removeprefix("user-")) % 3]
        or row[2] != owner + row[0]
    ]
    if len(direct) != resources or wrong:
        problems.append(f"direct assignments: {len(direct)} rows, wrong: {wrong[:3]}")
    want_groups = {(name, TIERS[g % 3], owner + name) for g, name in enumerate(org.group_members())}
    if set(assigned_groups) != want_groups or len(assigned_groups) != groups:
        problems.append(f"group assignments: {len(assigned_groups)} rows, declared {groups}")
    want_members = {
        (name, f"user-{i:05d}", TIERS[g % 3])
        for g, (name, member_indices) in enumerate(org.group_members().items())
        for i in member_indices
    }
    if through_groups != want_members:
        problems.append(
            f"assignments through groups: {len(through_groups)} rows, "
            f"{len(want_members)} memberships declared"
        )
    after = history_rows(ledger)
    if after[: len(history)] != history:
        problems.append("history rows present at the kill were lost or changed")
    deployment = dict(e2e.stack.export_stack().deployment or {})
    if deployment.get("pending_operations"):
        problems.append(f"{len(deployment['pending_operations'])} pending operations remain")
    resources_by_type: dict[str, list[object]] = {}
    for r in deployment.get("resources", []):
        resources_by_type.setdefault(r["type"].rsplit(":", 1)[-1], []).append(r.get("id"))
    ids = resources_by_type.get("Subscription", [])
    if len(ids) != resources or len(set(ids)) != resources:
        problems.append(f"state holds {len(ids)} Subscriptions ({len(set(ids))} distinct ids)")
    if len(resources_by_type.get("GroupAssignment", [])) != groups:
        problems.append(
            f"state holds {len(resources_by_type.get('GroupAssignment', []))} "
            f"GroupAssignments, declared {groups}"
        )
    return problems


def run_trial(
    kind: str,
    index: int,
    resources: int,
    base: Path,
    rng: random.Random,
    skip_checkpoints: bool = False,
    groups: int = 0,
) -> TrialResult:
    """One trial in a fresh directory under ``base``."""
    started = time.monotonic()
    work = base / f"{kind}-{index:02d}"
    work.mkdir(parents=True)
    e2e, ledger = _setup(work, resources, skip_checkpoints, groups)
    records = organisation(resources, groups).records(resources)
    target = rng.randint(0, records)
    killed, exited = _kill_during_up(e2e, ledger, kind, target, rng)
    at_kill = history_rows(ledger)
    result = TrialResult(kind, index, record_count(ledger), killed, exited, 0.0)
    result.repaired = repair_backend(e2e)
    result.problems += recover(e2e)
    result.problems += converged(e2e, ledger, resources, at_kill, groups)
    result.seconds = time.monotonic() - started
    return result


def run_trials(
    kind: str,
    trials: int,
    resources: int,
    base: Path,
    seed: int,
    skip_checkpoints: bool = False,
    groups: int = 0,
) -> list[TrialResult]:
    rng = random.Random(f"{seed}-{kind}")
    records = organisation(resources, groups).records(resources)
    results = []
    for index in range(trials):
        result = run_trial(kind, index, resources, base, rng, skip_checkpoints, groups)
        status = "ok" if result.ok else "FAILED: " + "; ".join(result.problems)
        print(
            f"  {kind} trial {index + 1}/{trials}: killed at {result.killed_at_records:,}/"
            f"{records:,} records ({', '.join(result.killed) or 'up had already exited'}), "
            f"{result.seconds:.1f}s, {status}"
            + (f" (removed empty {result.repaired})" if result.repaired else ""),
            flush=True,
        )
        results.append(result)
    return results


def summary(
    kind: str,
    results: Sequence[TrialResult],
    resources: int,
    skip_checkpoints: bool = False,
    groups: int = 0,
) -> str:
    held = sum(r.ok for r in results)
    records = organisation(resources, groups).records(resources)
    mid = sum(0 < r.killed_at_records < records for r in results)
    secs = sum(r.seconds for r in results)
    declared = f"{resources:,} Subscriptions" + (
        f" + {groups} GroupAssignments ({records:,} records)" if groups else ""
    )
    return (
        f"kill {kind}: {held}/{len(results)} trials converged ({mid} killed mid-way with records "
        f"written, {sum(r.exited_before_kill for r in results)} finished before the kill, "
        f"{sum(bool(r.repaired) for r in results)} needed an empty .attrs removed) "
        f"x {declared}{', checkpoints skipped' if skip_checkpoints else ''}, {secs:.0f}s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=20, help="trials per kind (default 20)")
    parser.add_argument("--resources", type=int, default=300, help="Subscriptions per stack")
    parser.add_argument(
        "--kill",
        choices=("pulumi", "provider", "both"),
        default="both",
        help="what to kill: the pulumi CLI, the provider, or both kinds in turn (default both)",
    )
    parser.add_argument(
        "--groups",
        type=int,
        default=0,
        help="also this many GroupAssignments of overlapping groups over twice the users",
    )
    parser.add_argument("--seed", type=int, default=6, help="random seed (default 6)")
    parser.add_argument("--keep", type=Path, help="run in this directory and keep it")
    parser.add_argument(
        "--skip-checkpoints",
        action="store_true",
        help="run every command with PULUMI_SKIP_CHECKPOINTS=true (state saved only at the end)",
    )
    args = parser.parse_args(argv)
    kinds = KINDS if args.kill == "both" else (args.kill,)
    base = args.keep or Path(tempfile.mkdtemp(prefix="kiro-crash-"))
    engine_bin()
    lines, failed = [], 0
    for kind in kinds:
        results = run_trials(
            kind,
            args.trials,
            args.resources,
            base / kind,
            args.seed,
            args.skip_checkpoints,
            args.groups,
        )
        lines.append(summary(kind, results, args.resources, args.skip_checkpoints, args.groups))
        failed += sum(not r.ok for r in results)
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
