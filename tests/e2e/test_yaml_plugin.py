"""End to end with the real CLI: the kiro provider plugin from Pulumi YAML.

examples/yaml runs on the YAML language host that scripts/ensure-pulumi builds; the engine runs
the plugin through PulumiPlugin.yaml at the repository root (runtime python).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from tests.e2e.harness import (
    REPO,
    E2EStack,
    engine_bin,
    engine_env,
    kiroctl,
    ledger_dump,
    new_stack,
)

EXAMPLE = REPO / "examples" / "yaml"
SEED = REPO / "examples" / "quickstart" / "seed-directory"
MID_NOVEMBER = "2026-11-15T12:00:00Z"


def edit_program(e2e: E2EStack, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in the copied Pulumi.yaml."""
    path = e2e.work_dir / "Pulumi.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


#: The ledger, named by stack config (kiro:ledger) only: the plugin must receive the config.
LEDGER = "state/kiro-ledger.db"


@pytest.fixture
def yaml_stack(tmp_path: Path) -> E2EStack:
    e2e = new_stack(
        EXAMPLE,
        tmp_path,
        config={"kiro:ledger": LEDGER},
        env={"KIRO_SIMULATED_NOW": MID_NOVEMBER},
    )
    edit_program(e2e, "path: ../..", f"path: {REPO}")  # the plugin: this checkout
    subprocess.run(
        [str(SEED)],
        check=True,
        env={
            **e2e.env,
            "KIRO_LEDGER": str(e2e.work_dir / LEDGER),
            "KIROCTL": str(Path(e2e.env["PULUMI_PYTHON_CMD"]).parent / "kiroctl"),
        },
        capture_output=True,
    )
    return e2e


def ctl(e2e: E2EStack, *args: str) -> subprocess.CompletedProcess[str]:
    """kiroctl on the stack's ledger."""
    return kiroctl(e2e, "--ledger", LEDGER, *args)


def users(e2e: E2EStack) -> dict[str, dict[str, Any]]:
    rows = json.loads(ctl(e2e, "users", "--json").stdout)
    return {row["user_name"]: row for row in rows}


def test_yaml_program_lifecycle_drift_and_import(yaml_stack: E2EStack) -> None:
    e2e, stack = yaml_stack, yaml_stack.stack

    # up: proper type tokens, the same outputs as the Python SDK (camelCase).
    alice = stack.up().outputs["alice"].value
    assert (alice["status"], alice["effectiveTier"], alice["credits"]) == ("Pending", "Pro+", 2000)
    state = e2e.resource_state("alice")
    assert state["type"] == "kiro:index:Subscription"
    assert state["id"] == users(e2e)["alice"]["subscription_id"]
    assert e2e.resource_state("engineering")["type"] == "kiro:index:GroupAssignment"

    # A downgrade is scheduled for the 1st, and is not drift.
    stack.set_config("aliceTier", auto.ConfigValue("pro"))
    alice = stack.up().outputs["alice"].value
    assert (alice["tier"], alice["effectiveTier"]) == ("Pro", "Pro+")
    assert (alice["pendingTier"], alice["pendingEffectiveAt"]) == ("Pro", "2026-12-01T00:00:00Z")
    stack.preview(refresh=True, expect_no_changes=True)

    # An out-of-band change is caught, and the next up puts the declared tier back.
    ctl(e2e, "change-plan", "alice", "--tier", "Power")
    drift = e2e.run_cli("preview", "--refresh", "--expect-no-changes", check=False)
    assert drift.returncode != 0
    assert "tier" in drift.stdout
    stack.up(refresh=True)
    assert users(e2e)["alice"]["tier"] == "Pro"

    # pulumi import adopts a subscription made with kiroctl, by its subscription_id.
    ctl(e2e, "directory", "add-user", "erin")
    ctl(e2e, "subscribe", "erin", "--tier", "Pro+")
    erin_id = users(e2e)["erin"]["subscription_id"]
    imported = e2e.run_cli(
        "import", "kiro:index:Subscription", "erin", erin_id, "--yes", "--protect=false"
    )
    assert "1 imported" in imported.stdout
    assert "type: kiro:Subscription" in imported.stdout  # the code to paste, generated
    edit_program(
        e2e,
        "\noutputs:",
        "  erin:\n    type: kiro:index:Subscription\n    properties:\n"
        "      user: erin\n      tier: PRO_PLUS\n\noutputs:",
    )
    stack.preview(expect_no_changes=True)
    assert e2e.resource_outputs("erin")["userName"] == "erin"

    # destroy: everyone Canceled, the imported subscription too.
    stack.destroy()
    assert {row["status"] for row in users(e2e).values()} == {"Canceled"}
    assert not (e2e.work_dir / ".kiro").exists()  # the configured ledger, not the default


# The bad inputs of the Python e2e tests (test_quickstart_lifecycle), with the same messages.
BAD_INPUTS = {
    "unknown tier": (("tier: ${aliceTier}", "tier: Gold"), ["tier", "Gold", "Pro, Pro+, Power"]),
    "unknown user": (("user: alice", "user: nobody"), ["user", "nobody"]),
    "empty user": (("user: alice", "user: '  '"), ["user", "empty"]),
    "overage cap": (
        ("overagesEnabled: ${overages}", "overagesEnabled: false\n      overageCap: 100"),
        ["overage_cap", "not supported"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_yaml_bad_input_fails_preview_and_changes_nothing(yaml_stack: E2EStack, case: str) -> None:
    e2e = yaml_stack
    (old, new), expected = BAD_INPUTS[case]
    edit_program(e2e, old, new)
    ledger = e2e.work_dir / LEDGER
    before = ledger_dump(ledger)
    with pytest.raises(auto.CommandError) as failure:
        e2e.stack.preview()
    for fragment in expected:
        assert fragment in str(failure.value)
    assert ledger_dump(ledger) == before


def test_package_get_schema_returns_schema_json(tmp_path: Path) -> None:
    env = {**os.environ, **engine_env(tmp_path)}
    result = subprocess.run(
        [str(engine_bin() / "pulumi"), "package", "get-schema", str(REPO)],
        env=env,
        cwd=tmp_path,
        text=True,
        capture_output=True,
        check=True,
    )
    assert json.loads(result.stdout) == json.loads((REPO / "schema.json").read_text())
