"""Timings, state sizes and provider memory of stacks run by the real `pulumi` CLI.

Each measured stack lives in a fresh temp directory with its own file:// backend (the e2e
harness's ``new_stack``); the commands run as `pulumi` subprocesses, timed from start to exit.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kiro_provider.ledger import LedgerDirectory, open_ledger
from pulumi_kiro._speedups import SWITCH
from tests.e2e.harness import REPO, E2EStack, engine_bin, new_stack

PROGRAMS = Path(__file__).parent / "programs"
#: The scale program of the e2e suite: ``count`` Subscriptions of users user-00000...
KIRO_PROGRAM = REPO / "tests" / "e2e" / "programs" / "scale"
#: The same parallelism for every stack (the e2e scale test's).
PARALLEL = 16
#: The engine's switch to save the state once, when a command ends (README, "Large
#: organisations").
SKIP_CHECKPOINTS = "PULUMI_SKIP_CHECKPOINTS"
#: The naive provider (class in __main__) stays below the SDK's pickle-leak limit (~320).
NAIVE_COUNT = 100


#: The processes of a run, by what they do: the Python program (which the language host runs
#: through pulumi-language-python-exec), the dynamic provider that serves every resource, and
#: the engine (`pulumi` itself).
ROLES = ("program", "provider", "engine")


@dataclass
class Samples:
    """Repeated measurements of one quantity."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def low(self) -> float:
        return min(self.values, default=float("nan"))

    @property
    def high(self) -> float:
        return max(self.values, default=float("nan"))


@dataclass
class StackRun:
    """What one kind of stack (kiro or floor) measured at one size."""

    up: Samples = field(default_factory=Samples)
    preview: Samples = field(default_factory=Samples)
    state_per_resource: Samples = field(default_factory=Samples)
    provider_bytes: Samples = field(default_factory=Samples)
    peak_rss_mb: Samples = field(default_factory=Samples)
    #: CPU seconds of each process role during `preview --refresh` (see ROLES).
    preview_cpu: dict[str, Samples] = field(
        default_factory=lambda: {role: Samples() for role in ROLES}
    )


#: pulumi-kiro on the SDK's own path: every speed-up over the SDK's private names off.
SDK_PATH = "kiro-sdk-path"


def measure_stack(kind: str, count: int, repeat: int) -> StackRun:
    """``repeat`` fresh stacks of ``count`` resources: time `up`, then `preview --refresh`."""
    run = StackRun()
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
            e2e = _stack(kind, count, Path(tmp))
            with watched() as up:
                run.up.values.append(timed(e2e, "up", "--yes", "--skip-preview"))
            args = ("preview", "--refresh", "--expect-no-changes")
            with watched() as preview:
                run.preview.values.append(timed(e2e, *args))
            run.peak_rss_mb.values.append(max(up.provider_mb, preview.provider_mb))
            for role in ROLES:
                run.preview_cpu[role].values.append(preview.cpu_seconds(role))
            run.state_per_resource.values.append(e2e.state_bytes() / count)
            run.provider_bytes.values.append(provider_bytes(e2e))
    return run


def measure_naive(count: int = NAIVE_COUNT) -> tuple[float, float]:
    """(``__provider`` bytes per copy, state bytes per resource) of the naive provider."""
    with tempfile.TemporaryDirectory(prefix="bench-naive-") as tmp:
        e2e = _stack("naive", count, Path(tmp))
        timed(e2e, "up", "--yes", "--skip-preview")
        return provider_bytes(e2e), e2e.state_bytes() / count


def provider_bytes(e2e: E2EStack) -> float:
    """Mean bytes of a ``__provider`` value as the checkpoint stores it (its JSON: a base64
    string, or a secret's envelope with the encrypted string), over every copy (the inputs and
    the outputs of each dynamic resource)."""
    exported = e2e.run_cli("stack", "export").stdout
    sizes = [
        len(json.dumps(props["__provider"], separators=(",", ":")))
        for resource in json.loads(exported)["deployment"]["resources"]
        for key in ("inputs", "outputs")
        if "__provider" in (props := resource.get(key) or {})
    ]
    return sum(sizes) / len(sizes)


def _stack(kind: str, count: int, tmp: Path) -> E2EStack:
    # Every stack imports from this checkout (the floor's provider module is benchmarks.noop).
    env = {"PYTHONPATH": str(REPO)}
    config = {"count": str(count)}
    if kind == SDK_PATH:  # kiro as on an SDK without the private names it speeds up
        env[SWITCH] = "off"
    if kind in ("kiro", SDK_PATH):
        ledger = tmp / "ledger.db"
        LedgerDirectory(open_ledger(str(ledger))).add_users(
            [(f"user-{i:05d}", None) for i in range(count)]
        )
        config["kiro:ledger"] = str(ledger)
        env["KIRO_LEDGER"] = str(ledger)
        program = KIRO_PROGRAM
    else:
        program = PROGRAMS / kind
    return new_stack(program, tmp, config=config, env=env)


def timed(e2e: E2EStack, *args: str) -> float:
    started = time.perf_counter()
    e2e.run_cli(*args, "--parallel", str(PARALLEL), "--suppress-progress")
    return time.perf_counter() - started


class _Watch:
    """What the processes of one command used, polled from /proc: the dynamic provider's peak
    memory (VmHWM, its own high-water mark, so the last reading is its peak) and the CPU time
    of each role (user + system; the last reading before a process exits, so up to one polling
    interval of its end is missed)."""

    def __init__(self) -> None:
        self.provider_kb = 0
        self.cpu: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU seconds)
        self.stop = threading.Event()

    @property
    def provider_mb(self) -> float:
        return self.provider_kb / 1024

    def cpu_seconds(self, role: str) -> float:
        return sum(seconds for kind, seconds in self.cpu.values() if kind == role)

    def poll(self, interval: float = 0.1) -> None:
        while not self.stop.wait(interval):
            for pid, role, proc in _run_processes():
                try:
                    self.cpu[pid] = (role, _cpu_seconds(proc / "stat"))
                    if role == "provider":
                        peak = _status_kb(proc / "status", "VmHWM")
                        self.provider_kb = max(self.provider_kb, peak)
                except (OSError, ValueError):
                    continue  # it has just exited


@contextmanager
def watched() -> Iterator[_Watch]:
    """Watch the benchmark's processes while the block runs."""
    watch = _Watch()
    thread = threading.Thread(target=watch.poll, daemon=True)
    thread.start()
    try:
        yield watch
    finally:
        watch.stop.set()
        thread.join()


def _run_processes() -> Iterator[tuple[int, str, Path]]:
    """(pid, role, /proc entry) of this user's processes of a benchmark stack run by our engine."""
    mine = os.getuid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != mine:
                continue
            role = _role((entry / "cmdline").read_bytes().split(b"\0"))
            if role is None:
                continue
            environ = (entry / "environ").read_bytes()
            if str(engine_bin()).encode() not in environ or b"bench-" not in environ:
                continue
        except OSError:
            continue
        yield int(entry.name), role, entry


def _role(argv: list[bytes]) -> str | None:
    if any(arg.endswith(b"pulumi-language-python-exec") for arg in argv):
        return "program"
    if b"pulumi.dynamic" in argv:
        return "provider"
    if argv and os.path.basename(argv[0]) == b"pulumi":
        return "engine"
    return None


def _cpu_seconds(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _status_kb(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise ValueError(key)


def growth_exponent(low: tuple[int, float], high: tuple[int, float]) -> float:
    """k in time ~ N^k between two (N, seconds) points (1: linear)."""
    return math.log(high[1] / low[1]) / math.log(high[0] / low[0])


def engine_version(env: Mapping[str, str] | None = None) -> str:
    """The engine's `pulumi version`."""
    result = subprocess.run(
        [str(engine_bin() / "pulumi"), "version"],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return result.stdout.strip()
