"""End to end with the real CLI: the quickstart through every rule a pipeline meets."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from tests.e2e.harness import E2EStack, kiroctl, ledger_dump, new_stack

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
MID_NOVEMBER = "2026-11-15T12:00:00Z"
AFTER_DECEMBER_1 = "2026-12-01T00:00:01Z"


@pytest.fixture
def quickstart(tmp_path: Path) -> E2EStack:
    e2e = new_stack(QUICKSTART, tmp_path, env={"KIRO_SIMULATED_NOW": MID_NOVEMBER})
    subprocess.run(
        [str(e2e.work_dir / "seed-directory")],
        check=True,
        env={
            **e2e.env,
            "KIROCTL": str(Path(e2e.env["PULUMI_PYTHON_CMD"]).parent / "kiroctl"),
            "PATH": e2e.env["PATH"],
        },
        capture_output=True,
    )
    return e2e


def users(e2e: E2EStack) -> dict[str, dict[str, Any]]:
    rows = json.loads(kiroctl(e2e, "users", "--json").stdout)
    return {row["user_name"]: row for row in rows}


def set_clock(e2e: E2EStack, now: str) -> None:
    e2e.env["KIRO_SIMULATED_NOW"] = now
    e2e.stack.workspace.env_vars["KIRO_SIMULATED_NOW"] = now


def assert_no_drift(e2e: E2EStack) -> None:
    e2e.stack.preview(refresh=True, expect_no_changes=True)


def test_quickstart_rules_end_to_end(quickstart: E2EStack) -> None:
    e2e, stack = quickstart, quickstart.stack

    # 1. up: everyone Pending; activation is seen by refresh.
    up = stack.up()
    assert up.outputs["alice"].value["status"] == "Pending"
    assert up.outputs["alice"].value["effective_tier"] == "Pro+"
    assert {m["user_name"] for m in up.outputs["engineering_members"].value} == {"carol", "dave"}
    assert (e2e.work_dir / ".kiro" / "ledger.db").exists()  # the embedded default
    kiroctl(e2e, "activate", "alice")
    stack.refresh()
    assert e2e.resource_outputs("alice")["status"] == "Active"
    assert_no_drift(e2e)

    # 2. upgrade at once; downgrade deferred to Dec 1 and not drift.
    stack.set_config("aliceTier", auto.ConfigValue("power"))
    assert stack.up().outputs["alice"].value["effective_tier"] == "Power"
    stack.set_config("aliceTier", auto.ConfigValue("Pro"))
    alice = stack.up().outputs["alice"].value
    assert alice["tier"] == "Pro"
    assert alice["effective_tier"] == "Power"
    assert alice["pending_tier"] == "Pro"
    assert alice["pending_effective_at"] == "2026-12-01T00:00:00Z"
    assert_no_drift(e2e)

    # 3. past the 1st the downgrade is in force, nothing pending.
    set_clock(e2e, AFTER_DECEMBER_1)
    stack.refresh()
    alice = e2e.resource_outputs("alice")
    assert (alice["effective_tier"], alice.get("pending_tier")) == ("Pro", None)
    assert_no_drift(e2e)

    # 4. an out-of-band plan change is drift; up --refresh restores the declared plan (R4).
    kiroctl(e2e, "change-plan", "bob", "--tier", "Power")
    with pytest.raises(auto.CommandError) as drift:
        stack.preview(refresh=True, expect_no_changes=True)
    assert "bob" in str(drift.value)
    stack.up(refresh=True)  # `pulumi up --refresh`: see the drift, then restore
    bob = users(e2e)["bob"]
    assert (bob["tier"], bob["effective_tier"], bob["pending_tier"]) == ("Pro", "Power", "Pro")
    assert_no_drift(e2e)

    # 5. group membership follows the directory on the next up.
    kiroctl(e2e, "directory", "add-member", "engineering", "bob")
    kiroctl(e2e, "directory", "add-user", "erin")
    kiroctl(e2e, "directory", "add-member", "engineering", "erin")
    with pytest.raises(auto.CommandError):
        stack.preview(refresh=True, expect_no_changes=True)
    members = {m["user_name"] for m in stack.up().outputs["engineering_members"].value}
    assert members == {"bob", "carol", "dave", "erin"}
    assert users(e2e)["erin"]["status"] == "Pending"
    kiroctl(e2e, "directory", "remove-member", "engineering", "erin")
    stack.up()
    assert users(e2e)["erin"]["status"] == "Canceled"
    assert users(e2e)["bob"]["status"] != "Canceled"  # still subscribed directly

    # 6. destroy: everyone Canceled, settings back to defaults.
    stack.destroy()
    assert {row["status"] for row in users(e2e).values()} == {"Canceled"}
    assert json.loads(kiroctl(e2e, "settings", "--json").stdout)["overages_enabled"] is False


BAD_INPUTS = {
    "unknown tier": ({"aliceTier": "Gold"}, ["tier", "Gold", "Pro, Pro+, Power"]),
    "unknown user": ({"bobTier": "Pro"}, ["user", "nobody"]),
    "empty user": ({}, ["user", "empty"]),
    "overage cap": ({}, ["overage_cap", "not supported"]),
}

_PROGRAM = "import pulumi_kiro as kiro\n{}\n"
BAD_PROGRAMS = {
    "unknown user": _PROGRAM.format("kiro.Subscription('x', user='nobody', tier='Pro')"),
    "empty user": _PROGRAM.format("kiro.Subscription('x', user='  ', tier='Pro')"),
    "overage cap": _PROGRAM.format("kiro.ProfileSettings('s', overage_cap=100)"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_preview_and_changes_nothing(quickstart: E2EStack, case: str) -> None:
    e2e = quickstart
    config, expected = BAD_INPUTS[case]
    if case in BAD_PROGRAMS:
        (e2e.work_dir / "__main__.py").write_text(BAD_PROGRAMS[case])
    for key, value in config.items():
        e2e.stack.set_config(key, auto.ConfigValue(value))
    ledger = e2e.work_dir / ".kiro" / "ledger.db"
    before = ledger_dump(ledger)
    with pytest.raises(auto.CommandError) as failure:
        e2e.stack.preview()
    for fragment in expected:
        assert fragment in str(failure.value)
    assert ledger_dump(ledger) == before
