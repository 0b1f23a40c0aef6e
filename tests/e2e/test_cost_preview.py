"""End to end with the real CLI: `pulumi preview --json | kiroctl cost --json -` gives the hand
calculation, and after `pulumi up`, next month's bill is what the preview said it would be."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import KIROCTL, E2EStack, engine_bin, kiroctl, new_stack
from tests.e2e.test_quickstart_lifecycle import QUICKSTART, set_clock


@pytest.fixture
def seeded_quickstart(tmp_path: Path) -> E2EStack:
    """The quickstart on Nov 15 with its directory seeded (alice, bob, carol, dave)."""
    e2e = new_stack(QUICKSTART, tmp_path, env={"KIRO_SIMULATED_NOW": "2026-11-15T12:00:00Z"})
    seed = e2e.work_dir / "seed-directory"
    subprocess.run(
        [str(seed)], check=True, env={**e2e.env, "KIROCTL": str(KIROCTL)}, capture_output=True
    )
    return e2e


CHANGED_PROGRAM = """\
import pulumi_kiro as kiro

kiro.ProfileSettings("settings")
kiro.Subscription("alice", user="alice", tier="Pro")  # Pro+ -> Pro: from Dec 1
# bob's Subscription is gone: Pending, cancelled at once.
kiro.GroupAssignment("engineering", group="engineering", tier="Power")  # carol, dave: Pro -> Power
kiro.Subscription("erin", user="erin", tier="Pro+")  # new: Pending
"""


def preview_cost(e2e: E2EStack) -> dict[str, object]:
    """`pulumi preview --json | kiroctl cost --json -`, as a pipeline runs it."""
    pulumi = engine_bin() / "pulumi"
    command = (
        f"set -o pipefail; '{pulumi}' preview --json --stack {e2e.stack.name} --non-interactive"
        f" | '{KIROCTL}' cost --json -"
    )
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=e2e.work_dir,
        env={**os.environ, **e2e.env},
        text=True,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_cost_of_a_preview_then_the_bill_agrees(seeded_quickstart: E2EStack) -> None:
    e2e, stack = seeded_quickstart, seeded_quickstart.stack
    stack.up()  # Nov 15: alice Pro+, bob Pro, engineering (carol, dave) Pro; all Pending
    set_clock(e2e, "2026-11-16T09:00:00Z")
    kiroctl(e2e, "activate", "alice")
    kiroctl(e2e, "activate", "carol")
    kiroctl(e2e, "directory", "add-user", "erin")
    set_clock(e2e, "2026-11-20T12:00:00Z")
    (e2e.work_dir / "__main__.py").write_text(CHANGED_PROGRAM)

    report = preview_cost(e2e)

    # By hand, list prices Pro 20, Pro+ 40, Power 200. November (Active: alice, carol):
    # before 40 + 20; after alice keeps Pro+ (downgrade from Dec 1), carol re-rated Power.
    assert report["this_month"] == {"before": 60.0, "after": 240.0, "change": 180.0}
    # December, everyone subscribed Active: before 40 + 20 + 20 + 20;
    # after alice 20 + carol 200 + dave 200 + erin 40 (bob cancelled).
    assert report["next_month"] == {"before": 100.0, "after": 460.0, "change": 360.0}
    assert report["changes"] == [
        {"user": "alice", "from": "Pro+", "to": "Pro", "when": "2026-12-01",
         "this_month": 0.0, "next_month": -20.0},
        {"user": "bob", "from": "Pro", "to": None, "when": "now",
         "this_month": 0.0, "next_month": -20.0},
        {"user": "carol", "from": "Pro", "to": "Power", "when": "now",
         "this_month": 180.0, "next_month": 180.0},
        {"user": "dave", "from": "Pro", "to": "Power", "when": "now",
         "this_month": 0.0, "next_month": 180.0},
        {"user": "erin", "from": None, "to": "Pro+", "when": "now",
         "this_month": 0.0, "next_month": 40.0},
    ]  # fmt: skip
    assert report["seats"] == {
        "Pro": {"before": 3, "after": 1, "change": -2},  # bob, carol, dave -> alice
        "Pro+": {"before": 1, "after": 1, "change": 0},
        "Power": {"before": 0, "after": 2, "change": 2},
    }

    stack.up()
    november = json.loads(kiroctl(e2e, "bill", "--month", "2026-11", "--json").stdout)
    assert november["total_usd"] == report["this_month"]["after"]  # type: ignore[index]

    set_clock(e2e, "2026-12-01T00:00:01Z")
    for name in ("dave", "erin"):  # everyone subscribed signs in
        kiroctl(e2e, "activate", name)
    december = json.loads(kiroctl(e2e, "bill", "--month", "2026-12", "--json").stdout)
    assert december["total_usd"] == report["next_month"]["after"]  # type: ignore[index]
    assert {line["user_name"]: line["tier"] for line in december["lines"]} == {
        "alice": "Pro",
        "carol": "Power",
        "dave": "Power",
        "erin": "Pro+",
    }
