"""pulumi-kiro next to Pulumi's own floor: one command, one table.

Usage: benchmarks/run [--sizes 100,1000,3000] [--repeat 3] [--ops 2000] [--members 10000]
                      [--skip-checkpoints]
                      [--export-users 5000] [--export-groups 50]
                      [--aws-sizes 100,1000] [--aws-members 500] [--aws-users 5000] [--aws-only]
       benchmarks/run --organisation [--org-direct 1000,5000] [--org-users 10000]
                      [--org-directories ledger,identitycenter]
                      [--org-groups 50] [--org-changed 100] [--org-checkpoints all|none|SIZES]

Example (a tiny run, ~1 minute): benchmarks/run --sizes 5 --repeat 1 --ops 200 --members 500
    --aws-sizes 5 --aws-members 3 --aws-users 20
The organisation alone (ledger directory and IAM Identity Center under moto_server; hours with
checkpoints at 5,000, ~30 minutes with --org-checkpoints 1000):
    benchmarks/run --organisation
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks import aws, engine, export, ledger, organisation
from benchmarks.engine import SKIP_CHECKPOINTS
from tests.e2e.harness import E2EStack
from tests.fakes.organisation import Organisation

#: The targets.
RATIO_TARGET = 1.10
PROVIDER_BYTES_TARGET = 200
STATE_BYTES_TARGET = 2048
GROUP_SECONDS_TARGET = 2.0
RATIO_SIZES = (1000, 3000)
EXPORT_SECONDS_TARGET = 5.0
#: The organisation: provider memory at the largest size within this factor of the smallest's;
#: kiroctl's Users tab of every record within this many seconds.
ORG_MEMORY_GROWTH_TARGET = 1.2
ORG_USERS_SECONDS_TARGET = 2.0
#: The aws control plane's drift check within this factor of the ledger's, from this size on.
AWS_RATIO_TARGET = 1.5
AWS_RATIO_FROM = 1000


@dataclass
class Row:
    """One line of the table."""

    name: str
    kiro: str
    reference: str
    ratio: str
    target: str


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    started = time.perf_counter()
    if args.skip_checkpoints:  # every `pulumi` the stacks run inherits it, the floor's too
        os.environ[SKIP_CHECKPOINTS] = "true"
    print(_machine(), flush=True)
    if args.organisation:
        return _organisation(args, started)
    rows: list[Row] = [] if args.aws_only else _ledger_and_engine_rows(args)
    details: list[str] = []
    for size in args.aws_sizes:
        _progress(f"aws control plane: {size:,} Subscriptions + a group of {args.aws_members:,}")
        costs = aws.measure_stack(size, args.aws_members)
        rows += _aws_stack_rows(costs)
        details += _aws_details(f"N={size:,} + group of {args.aws_members:,}", costs)
    _progress(f"kiroctl --control-plane aws on {args.aws_users:,} users")
    tabs = aws.measure_kiroctl(args.aws_users, args.aws_members)
    rows += _kiroctl_rows(args.aws_users, tabs)
    details += [
        _cost_line(f"kiroctl {tab}, {args.aws_users:,} users", c) for tab, c in tabs.items()
    ]
    _print(rows, 1 if args.aws_only else args.repeat)
    print("\naws control plane (one run each) against the fake Kiro (20 ms a call, 429 beyond")
    print("10 calls/s, burst 20), IAM Identity Center under moto; calls by operation (429 answers")
    print("included):")
    print("\n".join(details))
    print(f"\ntotal {time.perf_counter() - started:,.0f} s; load average after: {_load()}")
    return 0


def _organisation(args: argparse.Namespace, started: float) -> int:
    """The organisation's table, for each directory: every command with and without the
    switch, next to the floor with the same switch; memory and growth across sizes; kiroctl on
    the largest."""
    org = Organisation(args.org_users, args.org_groups, args.org_smallest, args.org_largest)
    sizes = sorted(args.org_direct)
    checkpointed = _checkpointed_sizes(args.org_checkpoints, sizes)
    memberships = sum(len(m) for m in org.group_members().values())
    print(
        f"organisation: {org.users:,} users; {org.groups} groups of "
        f"{min(org.group_sizes()):,}-{max(org.group_sizes()):,} ({memberships:,} memberships, "
        f"overlapping); {args.org_changed} tiers changed by the second up"
    )
    rows: list[Row] = []
    for kind in args.org_directories:
        with organisation.directory(kind, org) as where:
            rows += _organisation_rows(where, sizes, checkpointed, args)
    _print(
        rows,
        args.repeat,
        "floor: the no-op stack with as many resources, the same switch; same-shape no-op: the\n"
        "organisation's resources as no-ops with kiro's inputs and outputs (member lists too)",
    )
    print(f"\ntotal {time.perf_counter() - started:,.0f} s; load average after: {_load()}")
    return 0


def _checkpointed_sizes(text: str, sizes: list[int]) -> set[int]:
    if text in ("all", "none"):
        return set(sizes) if text == "all" else set()
    return {int(n) for n in text.split(",")}


def _organisation_rows(
    where: organisation.Where, sizes: list[int], checkpointed: set[int], args: argparse.Namespace
) -> list[Row]:
    rows: list[Row] = []
    runs: dict[tuple[int, bool], organisation.Measured] = {}
    tabs: organisation.KiroctlCosts | None = None
    label = _ORG_DIRECTORIES[where.directory]
    for size in sizes:
        for skip in (True, False) if size in checkpointed else (True,):
            _progress(f"organisation ({label}): {size:,} direct, {_mode(skip)}")

            def read_tabs(e2e: E2EStack, size: int = size, skip: bool = skip) -> None:
                nonlocal tabs
                if size == sizes[-1] and skip:
                    tabs = organisation.measure_kiroctl(where, e2e, args.repeat)

            runs[size, skip] = organisation.measure(
                where,
                size,
                skip,
                args.org_changed,
                args.repeat,
                read_tabs,
                same_shape=where.directory == "ledger",
            )
            rows += _org_command_rows(label, size, where, skip, runs[size, skip])
    rows += _org_growth_rows(label, sizes, where.organisation.groups, runs)
    if tabs is not None:
        rows += _org_kiroctl_rows(label, tabs, where.organisation.records(sizes[-1]))
    return rows


_ORG_DIRECTORIES = {"ledger": "ledger directory", "identitycenter": "Identity Center"}
_ORG_COMMANDS = {
    "up": "up (create)",
    "change": "up changing tiers",
    "drift": "preview --refresh",
}


def _mode(skip_checkpoints: bool) -> str:
    return "skip checkpoints" if skip_checkpoints else "checkpoints"


def _org_command_rows(
    label: str, size: int, where: organisation.Where, skip: bool, measured: organisation.Measured
) -> list[Row]:
    """The three commands next to the floor; the switch's target holds where kiro's own work
    is all there is (the ledger-held directory). Over Identity Center, the directory calls."""
    groups = where.organisation.groups
    at = f"{size:,} direct + {groups} groups, {_mode(skip)}"
    target = f"<= {RATIO_TARGET:.2f}" if skip and where.directory == "ledger" else ""
    rows = [
        _timing_row(
            f"org ({label}): {name}, {at}",
            measured.kiro.seconds[command],
            measured.floor.seconds[command],
            target,
        )
        for command, name in _ORG_COMMANDS.items()
    ]
    if measured.shaped is not None:
        shaped = measured.shaped
        rows += [
            _timing_row(
                f"  same-shape no-op: {name}, {at}",
                measured.kiro.seconds[command],
                shaped.seconds[command],
                "",
            )
            for command, name in _ORG_COMMANDS.items()
        ]
    if where.directory == "identitycenter":
        calls = measured.kiro.directory_calls
        rows.append(
            Row(
                f"org ({label}): identitystore calls, up | change | drift, {at}",
                " | ".join(f"{calls[c].median:,.0f}" for c in _ORG_COMMANDS),
                "",
                "",
                "",
            )
        )
    kiro, floor = measured.kiro.peak_rss_mb, measured.floor.peak_rss_mb
    rows.append(
        Row(
            f"org ({label}): provider peak RSS MB, {at}",
            _spread(kiro, "{:,.0f}"),
            _spread(floor, "{:,.0f}"),
            f"{kiro.median / floor.median:.2f}",
            "",
        )
    )
    return rows


def _org_growth_rows(
    label: str,
    sizes: list[int],
    groups: int,
    runs: dict[tuple[int, bool], organisation.Measured],
) -> list[Row]:
    """Growth from the smallest to the largest size with the switch: the exponent k of time ~
    N^k (1: linear), pulumi-kiro next to the floor; provider memory as largest / smallest."""
    low, high = sizes[0], sizes[-1]
    if low == high:
        return []
    span = f"{low:,} -> {high:,} direct + {groups} groups, {_mode(True)}"
    rows = []
    for command in ("up", "drift"):
        kiro, floor = (
            engine.growth_exponent(
                (low, getattr(runs[low, True], who).seconds[command].median),
                (high, getattr(runs[high, True], who).seconds[command].median),
            )
            for who in ("kiro", "floor")
        )
        name = f"org ({label}): {_ORG_COMMANDS[command]} growth exponent, {span}"
        rows.append(Row(name, f"{kiro:.2f}", f"{floor:.2f}", "", ""))
    memory = runs[high, True].kiro.peak_rss_mb.median / runs[low, True].kiro.peak_rss_mb.median
    ok = memory <= ORG_MEMORY_GROWTH_TARGET
    rows.append(
        Row(
            f"org ({label}): provider peak RSS growth, {span}",
            f"{memory:.2f}x",
            "",
            "",
            f"<= {ORG_MEMORY_GROWTH_TARGET:.1f}x {_verdict(ok)}",
        )
    )
    return rows


def _org_kiroctl_rows(label: str, tabs: organisation.KiroctlCosts, expected: int) -> list[Row]:
    if tabs.records != expected:
        raise AssertionError(f"kiroctl users listed {tabs.records:,} records, not {expected:,}")
    ok = tabs.users.median <= ORG_USERS_SECONDS_TARGET
    return [
        Row(f"org ({label}): kiroctl users --json, {tabs.records:,} records (s)",
            _spread(tabs.users, "{:.2f}"), "", "",
            f"<= {ORG_USERS_SECONDS_TARGET:.0f} {_verdict(ok)}"),
        Row(f"org ({label}): kiroctl bill, {tabs.records:,} records (s)",
            _spread(tabs.bill, "{:.2f}"),
            "", "", ""),
    ]  # fmt: skip


def _ledger_and_engine_rows(args: argparse.Namespace) -> list[Row]:
    """Every row but the aws control plane's: pulumi-kiro on the ledger next to the floor."""
    rows: list[Row] = []
    runs: dict[int, tuple[engine.StackRun, engine.StackRun, engine.StackRun]] = {}
    for size in args.sizes:
        kiro, floor, shaped = (_measure(kind, size, args.repeat) for kind in _KINDS)
        runs[size] = (kiro, floor, shaped)
        rows += _stack_rows(size, *runs[size])
    largest = max(args.sizes)
    rows += _cpu_rows(largest, *runs[largest])
    rows += _sdk_path_rows(
        largest, _measure(engine.SDK_PATH, largest, args.repeat), runs[largest][1]
    )
    _progress(f"naive provider in __main__: {engine.NAIVE_COUNT} resources")
    rows += _size_rows(runs[largest][:2], engine.measure_naive())
    _progress(f"ledger: {args.ops:,} ops; groups of {args.members:,}")
    rows += _ledger_rows(args.ops, args.members)
    _progress(f"kiroctl export: {args.export_users:,} direct, {args.export_groups} groups")
    rows += _export_rows(args.export_users, args.export_groups, args.repeat)
    rows += _memory_rows(largest, *runs[largest][:2])
    rows += _growth_rows(runs)
    return rows


#: What each size measures: pulumi-kiro, the floor, the same-shape no-op.
_KINDS = ("kiro", "floor", "shaped")


def _measure(kind: str, size: int, repeat: int) -> engine.StackRun:
    _progress(f"{kind}: {size:,} resources x {repeat}")
    return engine.measure_stack(kind, size, repeat)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run",
        description=__doc__.splitlines()[0],
        epilog="example: benchmarks/run --sizes 5 --repeat 1 --ops 200 --members 500",
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[100, 1000, 3000],
        help="stack sizes N, comma-separated (default: 100,1000,3000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--ops", type=int, default=2000, help="operations per ledger rate")
    parser.add_argument("--members", type=int, default=10_000, help="size of the big group")
    parser.add_argument(
        "--export-users", type=int, default=5000, help="direct subscriptions to export"
    )
    parser.add_argument("--export-groups", type=int, default=50, help="group assignments to export")
    parser.add_argument(
        "--aws-sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[100, 1000],
        help="Subscriptions over the aws control plane, comma-separated (default: 100,1000)",
    )
    parser.add_argument(
        "--aws-members", type=int, default=500, help="members of the aws stacks' group"
    )
    parser.add_argument(
        "--aws-users", type=int, default=5000, help="users of the profile kiroctl reads"
    )
    parser.add_argument(
        "--aws-only", action="store_true", help="measure the aws control plane's rows only"
    )
    parser.add_argument(
        "--organisation",
        action="store_true",
        help="measure the organisation alone (Identity Center under moto_server, one stack)",
    )
    parser.add_argument(
        "--org-direct",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1000, 5000],
        help="direct Subscriptions of the organisation's stack, comma-separated "
        "(default: 1000,5000)",
    )
    parser.add_argument(
        "--org-directories",
        type=lambda text: text.split(","),
        default=list(organisation.DIRECTORIES),
        help="where the users and groups live: ledger, identitycenter (default: both)",
    )
    parser.add_argument("--org-users", type=int, default=10_000, help="users in the directory")
    parser.add_argument("--org-groups", type=int, default=50, help="groups, each assigned")
    parser.add_argument("--org-smallest", type=int, default=10, help="the smallest group")
    parser.add_argument("--org-largest", type=int, default=2000, help="the largest group")
    parser.add_argument(
        "--org-changed", type=int, default=100, help="Subscriptions the second `up` changes"
    )
    parser.add_argument(
        "--org-checkpoints",
        default="all",
        help="sizes at which every row is also measured without the switch (checkpoints after "
        "every step), comma-separated, or all, or none (default: all)",
    )
    parser.add_argument(
        "--skip-checkpoints",
        action="store_true",
        help=f"run every stack with {SKIP_CHECKPOINTS}=true (the state saved once per command)",
    )
    return parser.parse_args(argv)


def _stack_rows(
    size: int, kiro: engine.StackRun, floor: engine.StackRun, shaped: engine.StackRun
) -> list[Row]:
    target = f"<= {RATIO_TARGET:.2f}" if size in RATIO_SIZES else ""
    return [
        _timing_row(f"up (create), N={size:,}", kiro.up, floor.up, target),
        _timing_row(f"preview --refresh, N={size:,}", kiro.preview, floor.preview, target),
        _timing_row(f"  same-shape no-op: up, N={size:,}", kiro.up, shaped.up, ""),
        _timing_row(f"  same-shape no-op: preview --refresh, N={size:,}", kiro.preview,
                    shaped.preview, ""),
    ]  # fmt: skip


def _cpu_rows(
    size: int, kiro: engine.StackRun, floor: engine.StackRun, shaped: engine.StackRun
) -> list[Row]:
    """Where the drift check's time goes: CPU seconds of each process, next to the floor's and
    the same-shape no-op's (the machine has few cores, so every process's CPU is wall time)."""
    rows = []
    for role in engine.ROLES:
        ours, floors, shapes = (run.preview_cpu[role] for run in (kiro, floor, shaped))
        rows.append(
            Row(
                f"  preview --refresh CPU s, {role} (floor | same-shape), N={size:,}",
                _seconds(ours),
                f"{_seconds(floors)} | {_seconds(shapes)}",
                f"{ours.median / floors.median:.2f}" if floors.median else "",
                "",
            )
        )
    return rows


def _sdk_path_rows(size: int, sdk_path: engine.StackRun, floor: engine.StackRun) -> list[Row]:
    """The price of an SDK without the private names pulumi-kiro speeds up (or of
    PULUMI_KIRO_SDK_SPEEDUPS=off): the same stack on the SDK's own path, next to the floor."""
    return [
        _timing_row(f"SDK's own path: up, N={size:,}", sdk_path.up, floor.up, ""),
        _timing_row(f"SDK's own path: preview --refresh, N={size:,}", sdk_path.preview,
                    floor.preview, ""),
    ]  # fmt: skip


def _timing_row(name: str, kiro: engine.Samples, floor: engine.Samples, target: str) -> Row:
    ratio = kiro.median / floor.median
    verdict = _verdict(ratio <= RATIO_TARGET) if target else ""
    return Row(name, _seconds(kiro), _seconds(floor), f"{ratio:.2f}", f"{target} {verdict}")


def _size_rows(
    largest: tuple[engine.StackRun, engine.StackRun], naive: tuple[float, float]
) -> list[Row]:
    kiro, floor = largest
    provider = kiro.provider_bytes.median
    state = kiro.state_per_resource.median
    return [
        Row(
            "__provider bytes per copy (floor | naive)",
            f"{provider:,.0f}",
            f"{floor.provider_bytes.median:,.0f} | {naive[0]:,.0f}",
            f"{provider / naive[0]:.3f}",
            f"<= {PROVIDER_BYTES_TARGET} {_verdict(provider <= PROVIDER_BYTES_TARGET)}",
        ),
        Row(
            "state bytes per resource (floor | naive)",
            f"{state:,.0f}",
            f"{floor.state_per_resource.median:,.0f} | {naive[1]:,.0f}",
            f"{state / floor.state_per_resource.median:.2f}",
            f"<= {STATE_BYTES_TARGET:,} {_verdict(state <= STATE_BYTES_TARGET)}",
        ),
    ]


def _ledger_rows(ops: int, members: int) -> list[Row]:
    rates = ledger.measure_rates(ops)
    embedded = ledger.group_embedded(members)
    moto = ledger.group_identity_center(members)
    return [
        Row("ledger subscribe_user ops/s (raw tx)", f"{rates.subscribe_user:,.0f}",
            f"{rates.raw_tx:,.0f}", f"{rates.subscribe_user / rates.raw_tx:.2f}", ""),
        Row("ledger describe_user ops/s (raw tx)", f"{rates.describe_user:,.0f}",
            f"{rates.raw_tx:,.0f}", f"{rates.describe_user / rates.raw_tx:.2f}", ""),
        Row(f"group of {members:,}, embedded (s)", f"{embedded:.2f}", "", "",
            f"<= {GROUP_SECONDS_TARGET:.0f} {_verdict(embedded <= GROUP_SECONDS_TARGET)}"),
        Row(f"group of {members:,}, Identity Center/moto (s)", f"{moto:.2f}", "", "", ""),
    ]  # fmt: skip


def _export_rows(users: int, groups: int, repeat: int) -> list[Row]:
    """kiroctl export of a profile of that size, in each language; no reference to compare."""
    rows = []
    for language in export.LANGUAGES:
        seconds = export.measure_export(users, groups, language, repeat)
        ok = seconds.median <= EXPORT_SECONDS_TARGET
        rows.append(
            Row(
                f"kiroctl export --format {language}, {users:,} direct + {groups} groups (s)",
                _spread(seconds, "{:.2f}"),
                "",
                "",
                f"<= {EXPORT_SECONDS_TARGET:.0f} {_verdict(ok)}",
            )
        )
    return rows


def _memory_rows(size: int, kiro: engine.StackRun, floor: engine.StackRun) -> list[Row]:
    ratio = kiro.peak_rss_mb.median / floor.peak_rss_mb.median
    return [
        Row(
            f"provider process peak RSS MB, N={size:,}",
            _spread(kiro.peak_rss_mb, "{:,.0f}"),
            _spread(floor.peak_rss_mb, "{:,.0f}"),
            f"{ratio:.2f}",
            "",
        )
    ]


def _growth_rows(
    runs: dict[int, tuple[engine.StackRun, engine.StackRun, engine.StackRun]],
) -> list[Row]:
    """How time and provider memory grow from the smallest to the largest N: the exponent k of
    time ~ N^k (1: linear), pulumi-kiro next to the floor; memory as largest / smallest."""
    if len(runs) < 2:
        return []
    low, high = min(runs), max(runs)
    span = f"N={low:,} -> {high:,}"
    rows = []
    for name in ("up", "preview"):
        kiro, floor = (
            engine.growth_exponent(
                (low, getattr(runs[low][i], name).median),
                (high, getattr(runs[high][i], name).median),
            )
            for i in (0, 1)
        )
        label = "up (create)" if name == "up" else "preview --refresh"
        rows.append(Row(f"{label} growth exponent, {span}", f"{kiro:.2f}", f"{floor:.2f}", "", ""))
    memory = runs[high][0].peak_rss_mb.median / runs[low][0].peak_rss_mb.median
    rows.append(Row(f"provider peak RSS growth, {span}", f"{memory:.2f}x", "", "", ""))
    return rows


def _aws_stack_rows(costs: aws.StackCosts) -> list[Row]:
    """The aws control plane next to the ledger on the same program, and what a drift check
    costs in listing calls to Kiro."""
    size = f"N={costs.count:,} + group of {costs.members:,}"
    preview_ratio = costs.aws_preview.seconds / costs.ledger_preview
    ratio_target = ""
    if costs.count >= AWS_RATIO_FROM:
        ok = preview_ratio <= AWS_RATIO_TARGET
        ratio_target = f"<= {AWS_RATIO_TARGET:.2f} {_verdict(ok)}"
    bound = math.ceil(costs.count / 1000) + 4
    listings = costs.aws_preview.listings
    return [
        Row(f"aws: up, {size} (s; ledger)", f"{costs.aws_up.seconds:.1f}",
            f"{costs.ledger_up:.1f}", f"{costs.aws_up.seconds / costs.ledger_up:.2f}", ""),
        Row(f"aws: preview --refresh, {size} (s; ledger)", f"{costs.aws_preview.seconds:.1f}",
            f"{costs.ledger_preview:.1f}", f"{preview_ratio:.2f}", ratio_target),
        Row(f"aws: Kiro listing calls, preview --refresh, {size}", f"{listings:,}", "", "",
            f"<= {bound} {_verdict(listings <= bound)}"),
        Row(f"aws: Kiro calls, up | preview --refresh, {size}",
            f"{sum(costs.aws_up.kiro.values()):,}", f"{sum(costs.aws_preview.kiro.values()):,}",
            "", ""),
        Row(f"aws: identitystore calls, up | preview --refresh, {size}",
            f"{sum(costs.aws_up.identitystore.values()):,}",
            f"{sum(costs.aws_preview.identitystore.values()):,}", "", ""),
    ]  # fmt: skip


def _kiroctl_rows(users: int, tabs: dict[str, aws.Cost]) -> list[Row]:
    return [
        Row(f"aws: kiroctl {tab}, {users:,} users (s; Kiro listing calls)",
            f"{cost.seconds:.1f}", f"{cost.listings:,}", "", "")
        for tab, cost in tabs.items()
    ]  # fmt: skip


def _aws_details(size: str, costs: aws.StackCosts) -> list[str]:
    return [
        _cost_line(f"up, {size}", costs.aws_up),
        _cost_line(f"preview --refresh, {size}", costs.aws_preview),
    ]


def _cost_line(what: str, cost: aws.Cost) -> str:
    kiro = ", ".join(f"{op} {n:,}" for op, n in sorted(cost.kiro.items()))
    directory = ", ".join(f"{op} {n:,}" for op, n in sorted(cost.identitystore.items()))
    return (
        f"  {what}: {cost.seconds:.1f} s; Kiro: {kiro or 'none'} ({cost.throttled:,} answered "
        f"429); identitystore: {directory or 'none'}"
    )


def _seconds(samples: engine.Samples) -> str:
    return _spread(samples, "{:.1f}")


def _spread(samples: engine.Samples, form: str) -> str:
    median = form.format(samples.median)
    if len(samples.values) < 2:
        return median
    return f"{median} ({form.format(samples.low)}-{form.format(samples.high)})"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


_LEGEND = "same-shape no-op: the floor with a Subscription's inputs, outputs and state size"


def _print(rows: list[Row], repeat: int, legend: str = _LEGEND) -> None:
    header = Row("measurement", "kiro", "floor / reference", "ratio", "target")
    widths = [max(len(getattr(r, f)) for r in [header, *rows]) for f in _FIELDS]
    print(f"\nmedian of {repeat} run(s), (min-max); ratio = kiro / floor (or reference);")
    print(legend)
    for row in [header, *rows]:
        cells = [getattr(row, f) for f in _FIELDS]
        line = "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        print(line.rstrip())


_FIELDS = ("name", "kiro", "reference", "ratio", "target")


def _machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((ln.split(":", 1)[1].strip() for ln in info if "model name" in ln), "?")
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"machine: {cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB, "
        f"{platform.system()} {platform.release()}\n"
        f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"{engine.engine_version()}, parallel {engine.PARALLEL}\n"
        f"load average before: {_load()}"
        + (f"\n{SKIP_CHECKPOINTS}=true for every stack" if os.environ.get(SKIP_CHECKPOINTS) else "")
    )


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
