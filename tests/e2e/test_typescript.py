"""End to end with the real CLI: examples/typescript, a TypeScript program on the generated SDK.

The program runs on the Node.js language host that scripts/ensure-pulumi builds, with the npm
packages scripts/setup-typescript installs (the example's node_modules, linked into each test's
copy); the engine runs the kiro provider plugin through PulumiPlugin.yaml (runtime python).
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.e2e.harness import REPO, E2EStack, ledger_dump, new_stack
from tests.e2e.test_yaml_plugin import BAD_INPUTS, LEDGER, MID_NOVEMBER, SEED, ctl, users

EXAMPLE = REPO / "examples" / "typescript"


@functools.cache
def installed_node_modules() -> Path:
    """The example's node_modules, installed once (npm ci, pinned by package-lock.json)."""
    result = subprocess.run(
        [str(REPO / "scripts" / "setup-typescript")], check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(result.stdout.strip().splitlines()[-1]) / "node_modules"


def edit_program(e2e: E2EStack, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in the copied index.ts."""
    path = e2e.work_dir / "index.ts"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def ts_stack(tmp_path: Path) -> E2EStack:
    node_modules = installed_node_modules()
    e2e = new_stack(
        EXAMPLE,
        tmp_path,
        config={"kiro:ledger": LEDGER},
        env={"KIRO_SIMULATED_NOW": MID_NOVEMBER},
    )
    (e2e.work_dir / "node_modules").symlink_to(node_modules, target_is_directory=True)
    project = e2e.work_dir / "Pulumi.yaml"
    project.write_text(project.read_text().replace("path: ../..", f"path: {REPO}", 1))
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


def test_typescript_program_lifecycle_drift_and_import(ts_stack: E2EStack) -> None:
    e2e, stack = ts_stack, ts_stack.stack

    # up: the SDK's classes make resources of the plugin's types, with its outputs.
    alice = stack.up().outputs["aliceSubscription"].value
    assert (alice["status"], alice["effectiveTier"], alice["credits"]) == ("Pending", "Pro+", 2000)
    state = e2e.resource_state("alice")
    assert state["type"] == "kiro:index:Subscription"
    assert state["id"] == users(e2e)["alice"]["subscription_id"]
    assert e2e.resource_state("engineering")["type"] == "kiro:index:GroupAssignment"
    assert e2e.resource_state("settings")["type"] == "kiro:index:ProfileSettings"

    # A downgrade is scheduled for the 1st, and is not drift.
    stack.set_config("aliceTier", auto.ConfigValue("pro"))
    alice = stack.up().outputs["aliceSubscription"].value
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

    # pulumi import adopts a subscription made with kiroctl, by its subscription_id, and
    # prints the TypeScript to add to the program.
    ctl(e2e, "directory", "add-user", "erin")
    ctl(e2e, "subscribe", "erin", "--tier", "Pro+")
    erin_id = users(e2e)["erin"]["subscription_id"]
    imported = e2e.run_cli(
        "import", "kiro:index:Subscription", "erin", erin_id, "--yes", "--protect=false"
    )
    assert "1 imported" in imported.stdout
    assert 'new kiro.Subscription("erin"' in imported.stdout, imported.stdout
    edit_program(
        e2e,
        "\nfunction summary",
        '\nnew kiro.Subscription("erin", { user: "erin", tier: "PRO_PLUS" });\n\nfunction summary',
    )
    stack.preview(expect_no_changes=True)
    assert e2e.resource_outputs("erin")["userName"] == "erin"

    # destroy: everyone Canceled, the imported subscription too.
    stack.destroy()
    assert {row["status"] for row in users(e2e).values()} == {"Canceled"}
    assert not (e2e.work_dir / ".kiro").exists()  # the configured ledger, not the default


# The bad inputs of the Python and YAML e2e tests, as TypeScript; the messages expected are
# theirs (BAD_INPUTS), so every language fails with the same words.
TS_EDITS = {
    "unknown tier": ('tier: config.get("aliceTier") ?? "Pro+"', 'tier: "Gold"'),
    "unknown user": ('user: "alice"', 'user: "nobody"'),
    "empty user": ('user: "alice"', 'user: "  "'),
    "overage cap": (
        'overagesEnabled: config.getBoolean("overages") ?? false,',
        "overagesEnabled: false,\n    overageCap: 100,",
    ),
}


def test_every_bad_input_of_the_other_languages_is_covered() -> None:
    assert set(TS_EDITS) == set(BAD_INPUTS)


@pytest.mark.parametrize("case", list(TS_EDITS))
def test_typescript_bad_input_fails_preview_and_changes_nothing(
    ts_stack: E2EStack, case: str
) -> None:
    e2e = ts_stack
    edit_program(e2e, *TS_EDITS[case])
    ledger = e2e.work_dir / LEDGER
    before = ledger_dump(ledger)
    with pytest.raises(auto.CommandError) as failure:
        e2e.stack.preview()
    for fragment in BAD_INPUTS[case][1]:
        assert fragment in str(failure.value)
    assert ledger_dump(ledger) == before


def test_generated_sdks_are_what_schema_json_generates() -> None:
    # The same check as `scripts/generate-sdks --check`, run by the tests: sdk/ is generated.
    result = subprocess.run(
        [str(REPO / "scripts" / "generate-sdks"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_sdk_check_fails_on_a_hand_edit(tmp_path: Path) -> None:
    sdk = tmp_path / "sdk"
    subprocess.run(["cp", "-r", str(REPO / "sdk"), str(sdk)], check=True)
    edited = sdk / "nodejs" / "subscription.ts"
    edited.write_text(edited.read_text().replace("Monthly credits", "Credits"))
    go = sdk / "go" / "kiro" / "subscription.go"
    go.write_text(go.read_text().replace("Monthly credits", "Credits"))
    result = subprocess.run(
        [str(REPO / "scripts" / "generate-sdks"), "--check", "--sdk", str(sdk)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "subscription.ts" in result.stdout
    assert "-     * Credits" in result.stdout and "+     * Monthly credits" in result.stdout
    assert "kiro/subscription.go" in result.stdout  # every generated language is checked
