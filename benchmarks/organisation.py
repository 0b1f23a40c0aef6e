"""An organisation in one stack, next to the engine's floor.

The organisation's users and overlapping groups (tests/fakes/organisation.py) live in a
directory: the ledger-held one, or IAM Identity Center under moto_server. One stack declares
``direct`` Subscriptions and a GroupAssignment of every group over the embedded ledger. The floor
is the no-op stack with as many resources, run with the same switch. For each size and each way
of saving the state (checkpoints after every step, or ``PULUMI_SKIP_CHECKPOINTS=true``), three
commands are timed: `up` from empty, an `up` that moves ``changed`` Subscriptions one tier along,
and the drift check; over Identity Center, the directory calls each command made are counted."""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

from benchmarks.engine import PROGRAMS, SKIP_CHECKPOINTS, Samples, timed, watched
from kiro_provider.directory.base import Directory
from kiro_provider.ledger import LedgerControlPlane, LedgerDirectory, open_ledger
from tests.e2e.harness import KIROCTL, REPO, E2EStack, new_stack
from tests.fakes import environment as env
from tests.fakes.organisation import Organisation, seed_identity_store

PROGRAM = REPO / "tests" / "e2e" / "programs" / "organisation"
FLOOR = PROGRAMS / "floor"
#: The organisation's resources as no-ops of the same shape (member lists included).
SHAPED = PROGRAMS / "shaped_organisation"
#: The commands timed on each stack, in the order they run.
COMMANDS = ("up", "change", "drift")
#: Where the organisation's users and groups are read from.
DIRECTORIES = ("ledger", "identitycenter")


@dataclass
class Timings:
    """One stack's three commands: seconds, and directory calls (Identity Center only); its
    provider's peak memory over them."""

    seconds: dict[str, Samples] = field(
        default_factory=lambda: {command: Samples() for command in COMMANDS}
    )
    directory_calls: dict[str, Samples] = field(
        default_factory=lambda: {command: Samples() for command in COMMANDS}
    )
    peak_rss_mb: Samples = field(default_factory=Samples)


@dataclass
class Measured:
    """pulumi-kiro, the floor and (when asked) the same-shape no-op at one size with one way
    of saving the state."""

    kiro: Timings = field(default_factory=Timings)
    floor: Timings = field(default_factory=Timings)
    shaped: Timings | None = None


@dataclass
class KiroctlCosts:
    """kiroctl's tabs on the organisation after `up`: seconds, and the records listed."""

    users: Samples
    bill: Samples
    records: int


class _RequestCount(logging.Handler):
    """Counts the requests moto_server serves (werkzeug logs one line each), printing none."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@dataclass
class Where:
    """The directory a stack reads: the ledger-held one, or Identity Center at ``moto_url``
    (whose requests ``requests`` counts)."""

    directory: str
    organisation: Organisation
    moto_url: str | None = None
    requests: _RequestCount | None = None

    def config(self, ledger: Path) -> dict[str, str]:
        config = {"kiro:ledger": str(ledger)}
        if self.directory == "identitycenter":
            config |= {
                "kiro:directory": "identitycenter",
                "kiro:identityStoreId": env.STORE_ID,
                "kiro:identityStoreRegion": env.REGION,
            }
        return config

    def environment(self, skip_checkpoints: bool) -> dict[str, str]:
        found = {"PYTHONPATH": str(REPO), SKIP_CHECKPOINTS: str(skip_checkpoints).lower()}
        if self.moto_url is not None:
            found |= {**env.CREDENTIALS, "AWS_ENDPOINT_URL_IDENTITYSTORE": self.moto_url}
        return found

    def new_ledger(self, path: Path) -> None:
        """A ledger for a stack; the ledger-held directory gets the organisation."""
        ledger = open_ledger(str(path))
        if self.directory == "ledger":
            self.organisation.seed_ledger(LedgerDirectory(ledger))

    def reader(self, ledger: Path) -> Directory:
        """The directory as this process reads it."""
        if self.directory == "ledger":
            return LedgerDirectory(open_ledger(str(ledger)))
        from kiro_provider.directory.identitycenter import IdentityCenterDirectory

        return IdentityCenterDirectory(env.STORE_ID, env.REGION, endpoint_url=self.moto_url)

    def calls(self) -> int:
        return self.requests.count if self.requests else 0


@contextmanager
def directory(kind: str, organisation: Organisation) -> Iterator[Where]:
    """The organisation's directory of ``kind``: Identity Center is moto_server on 127.0.0.1,
    seeded with the organisation, for as long as the block runs."""
    if kind == "ledger":
        yield Where(kind, organisation)
        return
    moto, moto_url = env.start_moto()
    requests = _RequestCount()
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.addHandler(requests)
    werkzeug.propagate = False
    werkzeug.setLevel(logging.INFO)
    try:
        env.reset_moto(moto_url)
        seed_identity_store(organisation)
        yield Where(kind, organisation, moto_url, requests)
    finally:
        werkzeug.removeHandler(requests)
        werkzeug.setLevel(logging.ERROR)
        moto.stop()


def measure(
    where: Where,
    direct: int,
    skip_checkpoints: bool,
    changed: int,
    repeat: int,
    on_kiro_stack: Callable[[E2EStack], None] | None = None,
    same_shape: bool = False,
) -> Measured:
    """``repeat`` fresh stacks of each kind, pulumi-kiro, the floor and the same-shape no-op in
    turn, so all meet the same load; ``on_kiro_stack`` is called with the last kiro stack after
    its commands."""
    result = Measured(shaped=Timings() if same_shape else None)
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-org-") as tmp:
            e2e = _kiro_stack(where, direct, skip_checkpoints, Path(tmp))
            _run_commands(e2e, changed, result.kiro, where.calls)
            if on_kiro_stack is not None:
                on_kiro_stack(e2e)
        with tempfile.TemporaryDirectory(prefix="bench-org-floor-") as tmp:
            count = direct + where.organisation.groups
            floor = new_stack(
                FLOOR,
                Path(tmp),
                config={"count": str(count)},
                env={"PYTHONPATH": str(REPO), SKIP_CHECKPOINTS: str(skip_checkpoints).lower()},
            )
            _run_commands(floor, changed, result.floor, lambda: 0)
        if result.shaped is not None:
            with tempfile.TemporaryDirectory(prefix="bench-org-shaped-") as tmp:
                sizes = ",".join(map(str, where.organisation.group_sizes()))
                shaped = new_stack(
                    SHAPED,
                    Path(tmp),
                    config={"direct": str(direct), "groupSizes": sizes},
                    env=where.environment(skip_checkpoints),
                )
                _run_commands(shaped, changed, result.shaped, lambda: 0)
    return result


def _kiro_stack(where: Where, direct: int, skip_checkpoints: bool, tmp: Path) -> E2EStack:
    ledger = tmp / "ledger.db"
    where.new_ledger(ledger)
    config = {
        **where.config(ledger),
        "direct": str(direct),
        "groups": str(where.organisation.groups),
    }
    return new_stack(PROGRAM, tmp, config=config, env=where.environment(skip_checkpoints))


def _run_commands(e2e: E2EStack, changed: int, timings: Timings, calls: Callable[[], int]) -> None:
    commands = {
        "up": ("up", "--yes", "--skip-preview"),
        "change": ("up", "--yes", "--skip-preview"),
        "drift": ("preview", "--refresh", "--expect-no-changes"),
    }
    peak = 0.0
    for command, args in commands.items():
        if command == "change":
            e2e.run_cli("config", "set", "changed", str(changed))
        before = calls()
        with watched() as watch:
            timings.seconds[command].values.append(timed(e2e, *args))
        timings.directory_calls[command].values.append(calls() - before)
        peak = max(peak, watch.provider_mb)
    timings.peak_rss_mb.values.append(peak)


def measure_kiroctl(where: Where, e2e: E2EStack, repeat: int) -> KiroctlCosts:
    """`kiroctl users --json` and `kiroctl bill` of this month on the stack's ledger, as an
    administrator runs them (a fresh process each time), once every user has signed in (a
    Pending user is not billed)."""
    ledger = e2e.work_dir.parent / "ledger.db"
    _sign_everyone_in(where, ledger)
    variables = {
        **os.environ,
        **where.environment(skip_checkpoints=True),
        **env.kiroctl_environment(where.config(ledger)),
    }
    this_month = time.strftime("%Y-%m", time.gmtime())  # the stack ran on the real clock
    users, bill = Samples(), Samples()
    records = 0
    for _ in range(repeat):
        seconds, listed = _kiroctl(variables, "users", "--json")
        users.values.append(seconds)
        records = listed.count('"user_id"')
        bill.values.append(_kiroctl(variables, "bill", "--month", this_month)[0])
    return KiroctlCosts(users, bill, records)


def _sign_everyone_in(where: Where, ledger: Path) -> None:
    with mock.patch.dict(os.environ, env.CREDENTIALS):
        plane = LedgerControlPlane(
            open_ledger(str(ledger)), where.reader(ledger), lambda: datetime.now(timezone.utc)
        )
        for record in plane.list_users("default"):
            plane.activate_user("default", record.user.user_id)


def _kiroctl(variables: Mapping[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [str(KIROCTL), *args],
        env=dict(variables),
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, result.stdout
