"""Workers for the concurrency test: each runs a fixed plan of operations on one ledger.

Every operation changes at least one assignment (the plan tracks what its worker's own
assignments are), so each leaves history entries tagged with its own actor, and the order of
their first entries is the order in which the operations committed. Replaying the plans in that
order on a copy of the starting file must give the same ledger.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from kiro_provider.domain.tiers import Tier
from kiro_provider.ledger import Ledger, LedgerControlPlane, LedgerDirectory, open_ledger
from kiro_provider.ledger.store import close_connections

PROFILE = "default"
SHARED_USERS = 8
OWN_USERS = 6
TIERS = tuple(Tier)
START = datetime(2025, 11, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Op:
    """One operation of a plan: ``kind`` on ``target`` (a user or group name)."""

    op_id: str
    kind: str  # subscribe | unsubscribe | subscribe_group | unsubscribe_group
    target: str
    tier: Tier | None
    at: datetime


def setup(ledger: Ledger, workers: int) -> None:
    """Shared users s0..s7; per worker w: users w{w}-u0..u5 and group g{w} = shared + u0."""
    directory = LedgerDirectory(ledger)
    shared = [(f"s{i}", None) for i in range(SHARED_USERS)]
    own = [(f"w{w}-u{i}", None) for w in range(workers) for i in range(OWN_USERS)]
    directory.add_users(shared + own)
    for w in range(workers):
        directory.add_group(f"g{w}", [name for name, _ in shared] + [f"w{w}-u0"])


def plan(worker: int, count: int) -> list[Op]:
    """The worker's operations; the clock moves 3 hours per operation (about two months)."""
    rng = random.Random(worker)
    direct: dict[str, Tier] = {}  # the worker's own users' direct tiers
    group: Tier | None = None
    ops = []
    for k in range(count):
        at = START + timedelta(hours=3 * k, minutes=worker)
        op_id = f"w{worker}-op{k}"
        if rng.random() < 0.3:
            kind, tier = (
                ("unsubscribe_group", None)
                if group and rng.random() < 0.3
                else ("subscribe_group", rng.choice([t for t in TIERS if t is not group]))
            )
            group = tier
            ops.append(Op(op_id, kind, f"g{worker}", tier, at))
            continue
        user = f"w{worker}-u{rng.randrange(OWN_USERS)}"
        current = direct.get(user)
        if current is not None and rng.random() < 0.3:
            del direct[user]
            ops.append(Op(op_id, "unsubscribe", user, None, at))
            continue
        tier = rng.choice([t for t in TIERS if t is not current])
        direct[user] = tier
        ops.append(Op(op_id, "subscribe", user, tier, at))
    return ops  # fmt: skip


def execute(ledger: Ledger, directory: LedgerDirectory, op: Op) -> None:
    """Run one operation through a control plane whose actor and clock are the op's own."""
    cp = LedgerControlPlane(ledger, directory, lambda: op.at, actor=op.op_id)
    if op.kind == "subscribe":
        assert op.tier is not None
        cp.subscribe_user(PROFILE, cp.find_user(op.target).user_id, op.tier, owner=op.target)
    elif op.kind == "unsubscribe":
        cp.unsubscribe_user(PROFILE, cp.find_user(op.target).user_id)
    elif op.kind == "subscribe_group":
        assert op.tier is not None
        cp.subscribe_group(PROFILE, cp.find_group(op.target).group_id, op.tier, owner=op.target)
    else:
        cp.unsubscribe_group(PROFILE, cp.find_group(op.target).group_id)


def run_process(path: str, process: int, threads: int, count: int, start: Any) -> None:
    """A process's worker threads, started together; exits non-zero if any operation fails."""
    ledger = open_ledger(path)
    directory = LedgerDirectory(ledger)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            start.wait()
            for op in plan(worker, count):
                execute(ledger, directory, op)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_connections()

    pool = [threading.Thread(target=work, args=(process * threads + t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} worker(s) failed; first: {errors[0]!r}")
