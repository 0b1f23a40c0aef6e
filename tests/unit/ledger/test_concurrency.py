"""2 processes x 4 threads x 500 operations on one ledger file: nothing lost, nothing doubled.

The operations commit in some order; the history says which (see concurrency_worker). Applying
the same operations one by one in that order, on a copy of the starting file, must give the same
records, assignments and history.
"""

from __future__ import annotations

import multiprocessing
import shutil
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from kiro_provider.ledger import Ledger, LedgerDirectory, open_ledger
from kiro_provider.ledger.store import close_connections

from . import concurrency_worker as cw
from .support import rows

PROCESSES, THREADS, OPS = 2, 4, 500


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_concurrent_operations_equal_the_same_operations_one_by_one(tmp_path: Path) -> None:
    shared = open_ledger(tmp_path / "shared.db")
    cw.setup(shared, PROCESSES * THREADS)
    close_connections()
    shutil.copy(shared.path, tmp_path / "serial.db")

    _run_processes(shared.path)

    order = _commit_order(shared)
    assert len(order) == PROCESSES * THREADS * OPS
    switches = sum(a.split("-")[0] != b.split("-")[0] for a, b in pairwise(order))
    # SQLite's busy handler lets a writer keep the lock for runs of commits, but one after
    # another would switch only 7 times.
    assert switches > 2 * PROCESSES * THREADS, "the workers did not interleave"
    applied = rows(shared, "SELECT count(*) FROM history WHERE action = 'apply-downgrade'")
    assert applied[0][0] > 0, "no scheduled downgrade came due (R5 untested)"
    serial = open_ledger(tmp_path / "serial.db")
    _replay(serial, order)
    assert _state(serial) == _state(shared)
    assert _history(serial) == _history(shared)


def _run_processes(path: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [
        ctx.Process(target=cw.run_process, args=(path, p, THREADS, OPS, start))
        for p in range(PROCESSES)
    ]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(timeout=110)
    assert [proc.exitcode for proc in procs] == [0] * PROCESSES


def _commit_order(ledger: Ledger) -> list[str]:
    """Op ids in the order of their first history entry (= the order they committed)."""
    found = rows(
        ledger,
        "SELECT actor FROM history WHERE actor LIKE 'w%-op%' GROUP BY actor ORDER BY min(id)",
    )
    return [row[0] for row in found]


def _replay(ledger: Ledger, order: list[str]) -> None:
    ops = {op.op_id: op for w in range(PROCESSES * THREADS) for op in cw.plan(w, OPS)}
    directory = LedgerDirectory(ledger)
    for op_id in order:
        cw.execute(ledger, directory, ops[op_id])


def _state(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "subscriptions": rows(
            ledger,
            "SELECT profile, user_id, user_name, status, effective_tier, pending_tier,"
            " pending_effective_at FROM subscriptions ORDER BY user_id",
        ),
        "assignments": rows(
            ledger,
            "SELECT profile, user_id, group_id, tier, owner FROM assignments"
            " ORDER BY user_id, group_id",
        ),
        "groups": rows(ledger, "SELECT * FROM group_assignments ORDER BY group_id"),
    }


def _history(ledger: Ledger) -> list[tuple[Any, ...]]:
    return rows(
        ledger,
        "SELECT at, actor, profile, entity, action, subject, before, after FROM history"
        " WHERE entity NOT IN ('profile', 'user', 'group', 'membership') ORDER BY id",
    )
