"""The aws control plane against the fake Kiro service with a real service's manners (latency,
a token-bucket rate limit answering 429) and IAM Identity Center under moto_server, next to the
ledger control plane on the same program; and kiroctl's Users and Groups tabs on a large
profile. Kiro calls are counted by the fake, identitystore calls by a counting proxy in front
of moto (the fake's own directory reads go to moto directly and are not counted)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.engine import PARALLEL
from kiro_provider.ledger import LedgerDirectory, open_ledger
from tests.e2e.harness import KIROCTL, REPO, E2EStack, new_stack
from tests.fakes import environment as env
from tests.fakes.counting_proxy import CountingProxy

PROGRAM = REPO / "tests" / "e2e" / "programs" / "aws_scale"
GROUP = "bench-group"
#: The fake's manners: 20 ms a call; 10 calls a second, 20 at once, then 429.
MANNERS = {"latency": 0.02, "rate": 10, "burst": 20}


@dataclass
class Cost:
    """What one command cost: wall time, Kiro calls and identitystore calls by operation."""

    seconds: float
    kiro: Counter[str]
    #: Kiro's 429 answers among ``kiro`` (retried by the adapter).
    throttled: int
    identitystore: Counter[str]

    @property
    def listings(self) -> int:
        return sum(self.kiro[op] for op in env.LISTINGS)


@dataclass
class StackCosts:
    """`up` and `preview --refresh` of one program over both control planes."""

    count: int
    members: int
    aws_up: Cost
    aws_preview: Cost
    ledger_up: float
    ledger_preview: float


@dataclass
class World:
    """moto (counted through the proxy) and the fake Kiro with manners."""

    moto_url: str
    proxy: CountingProxy
    fake_url: str

    def config(self) -> dict[str, str]:
        return env.stack_config(env.coordinates(self.moto_url), self.fake_url)

    def environment(self) -> dict[str, str]:
        return {
            **env.CREDENTIALS,
            "AWS_ENDPOINT_URL_IDENTITYSTORE": self.proxy.url,
            "PYTHONPATH": str(REPO),
        }

    def costed(self, run: Callable[[], None]) -> Cost:
        kiro_before = Counter(env.calls_by_operation(self.fake_url))
        throttled_before = _throttled(self.fake_url)
        directory_before = self.proxy.snapshot()
        started = time.perf_counter()
        run()
        seconds = time.perf_counter() - started
        return Cost(
            seconds,
            Counter(env.calls_by_operation(self.fake_url)) - kiro_before,
            _throttled(self.fake_url) - throttled_before,
            self.proxy.snapshot() - directory_before,
        )


@contextmanager
def _world(users: int, groups: Mapping[str, int]) -> Iterator[World]:
    moto, moto_url = env.start_moto()
    try:
        env.reset_moto(moto_url)
        env.seed_many(moto_url, users, groups)
        proxy = CountingProxy(moto_url).start()
        try:
            with env.spawn_fake(moto_url) as fake_url:
                env.control(fake_url, "manners", MANNERS)
                yield World(moto_url, proxy, fake_url)
        finally:
            proxy.shutdown()
            proxy.server_close()
    finally:
        moto.stop()


def measure_stack(count: int, members: int) -> StackCosts:
    """`up` then `preview --refresh --expect-no-changes` of ``count`` Subscriptions and a
    GroupAssignment of ``members``: over the fake Kiro, then over the ledger."""
    users = max(count, members)
    with (
        _world(users, {GROUP: members}) as world,
        tempfile.TemporaryDirectory(prefix="bench-aws-") as tmp,
    ):
        config = {**world.config(), "count": str(count), "groups": GROUP}
        e2e = new_stack(PROGRAM, Path(tmp), config=config, env=world.environment())
        aws_up = world.costed(lambda: _cli(e2e, "up", "--yes", "--skip-preview"))
        aws_preview = world.costed(lambda: _cli(e2e, "preview", "--refresh", "--expect-no-changes"))
    with tempfile.TemporaryDirectory(prefix="bench-aws-ledger-") as tmp:
        ledger = Path(tmp) / "ledger.db"
        directory = LedgerDirectory(open_ledger(str(ledger)))
        names = [f"user-{i:05d}" for i in range(users)]
        directory.add_users([(name, f"{name}@example.com") for name in names])
        directory.add_group(GROUP, names[:members])
        config = {"count": str(count), "groups": GROUP, "kiro:ledger": str(ledger)}
        e2e = new_stack(
            PROGRAM,
            Path(tmp),
            config=config,
            env={"KIRO_LEDGER": str(ledger), "PYTHONPATH": str(REPO)},
        )
        ledger_up = _seconds(lambda: _cli(e2e, "up", "--yes", "--skip-preview"))
        ledger_preview = _seconds(lambda: _cli(e2e, "preview", "--refresh", "--expect-no-changes"))
    return StackCosts(count, members, aws_up, aws_preview, ledger_up, ledger_preview)


def measure_kiroctl(users: int, members: int) -> dict[str, Cost]:
    """`kiroctl --control-plane aws users` and `groups` on a profile of ``users`` subscribed
    directly and a group of ``members`` (assigned at once through the fake's seed control)."""
    with _world(users, {GROUP: members}) as world:
        ids = [u["UserId"] for u in _all_users(world.moto_url)]
        group_id = env.identitystore(world.moto_url).get_group_id(
            IdentityStoreId=env.STORE_ID,
            AlternateIdentifier={
                "UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": GROUP}
            },
        )["GroupId"]
        claims = [["USER", user_id, "KIRO_ENTERPRISE_PRO"] for user_id in ids]
        env.control(
            world.fake_url,
            "seed",
            {"claims": [*claims, ["GROUP", group_id, "KIRO_ENTERPRISE_POWER"]]},
        )
        config = world.config()
        variables = {
            **os.environ,
            **world.environment(),
            **env.kiroctl_environment(config),
        }
        costs = {}
        for tab in ("users", "groups"):
            costs[tab] = world.costed(lambda: _kiroctl(variables, tab))  # noqa: B023 (run now)
        return costs


def _all_users(moto_url: str) -> list[dict[str, str]]:
    pages = (
        env.identitystore(moto_url)
        .get_paginator("list_users")
        .paginate(IdentityStoreId=env.STORE_ID)
    )
    return [user for page in pages for user in page["Users"]]


def _kiroctl(variables: Mapping[str, str], tab: str) -> None:
    subprocess.run(
        [str(KIROCTL), "--control-plane", "aws", tab, "--json"],
        env=dict(variables),
        capture_output=True,
        text=True,
        check=True,
    )


def _cli(e2e: E2EStack, *args: str) -> None:
    e2e.run_cli(*args, "--parallel", str(PARALLEL), "--suppress-progress")


def _seconds(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _throttled(fake_url: str) -> int:
    calls = env.control(fake_url, "state", {"brief": True})["calls"]
    return sum(1 for call in calls if call["status"] == 429)
