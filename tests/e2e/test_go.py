"""End to end with the real CLI: examples/go, the quickstart's resources in Go.

The engine runs the program through pulumi-kiro's Go language host (engine/cmd/pulumi-language-go:
`go build`, then the binary), with the Go SDK generated from schema.json (sdk/go/kiro), and the
kiro provider plugin through PulumiPlugin.yaml at the repository root, as for Pulumi YAML.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.e2e.harness import REPO, E2EStack, ledger_dump, new_stack
from tests.e2e.test_yaml_plugin import BAD_INPUTS, LEDGER, MID_NOVEMBER, SEED, ctl, users

EXAMPLE = REPO / "examples" / "go"

#: Packages of the Go SDKs every build of the program needs: compiled by the first build, then
#: taken from the Go build cache.
SDK_PACKAGES = (
    "github.com/pulumi/pulumi/sdk/v3/go/pulumi",
    "github.com/pulumi-kiro/pulumi-kiro/sdk/go/kiro",
)


def edit(e2e: E2EStack, file: str, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in the copied program's ``file``."""
    path = e2e.work_dir / file
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def go_stack(tmp_path: Path) -> E2EStack:
    e2e = new_stack(
        EXAMPLE,
        tmp_path,
        config={"kiro:ledger": LEDGER},
        env={"KIRO_SIMULATED_NOW": MID_NOVEMBER},
    )
    # The copy points at this checkout: the plugin, and the generated SDK.
    edit(e2e, "Pulumi.yaml", "path: ../..", f"path: {REPO}")
    edit(e2e, "go.mod", "=> ../../sdk/go", f"=> {REPO / 'sdk' / 'go'}")
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


def go(e2e: E2EStack, *args: str) -> str:
    """`go ARGS` in the program's directory."""
    result = subprocess.run(
        ["go", *args], cwd=e2e.work_dir, check=True, text=True, capture_output=True
    )
    return result.stdout


def timed_build(e2e: E2EStack) -> float:
    """Seconds a `go build` of the program takes, as the language host runs it."""
    start = time.monotonic()
    go(e2e, "build", "-o", str(e2e.work_dir.parent / "program"), ".")
    return time.monotonic() - start


def module_versions(directory: Path, *args: str) -> dict[str, str]:
    """`go list ARGS` (lines "PATH VERSION") in ``directory``, as module path -> version; the
    main module and replaced ones have no version and are left out."""
    listed = subprocess.run(
        ["go", "list", *args], cwd=directory, check=True, text=True, capture_output=True
    ).stdout
    return dict(line.split() for line in listed.splitlines() if len(line.split()) == 2)


def test_go_example_builds_with_the_engine_module_versions() -> None:
    # The engine's Go host compiles Pulumi's Go SDK with these versions, so the program's first
    # build finds the SDK in the Go build cache instead of compiling it again (~2 minutes).
    used = module_versions(
        EXAMPLE, "-deps", "-f", "{{with .Module}}{{.Path}} {{.Version}}{{end}}", "."
    )
    engine = module_versions(REPO / "engine", "-m", "-f", "{{.Path}} {{.Version}}", "all")
    differ = {m: (v, engine[m]) for m, v in used.items() if m in engine and v != engine[m]}
    assert not differ, f"examples/go: go mod edit -require=MODULE@ENGINE_VERSION: {differ}"


ERIN = """
	if _, err := kiro.NewSubscription(ctx, "erin", &kiro.SubscriptionArgs{
		User: pulumi.String("erin"),
		Tier: pulumi.String("PRO_PLUS"),
	}); err != nil {
		return err
	}
"""


def test_go_program_lifecycle_drift_and_import(go_stack: E2EStack) -> None:
    e2e, stack = go_stack, go_stack.stack

    # up: the host builds and runs the program; proper type tokens, the YAML program's outputs.
    start = time.monotonic()
    alice = stack.up().outputs["alice"].value
    first_up = time.monotonic() - start
    assert (alice["status"], alice["effectiveTier"], alice["credits"]) == ("Pending", "Pro+", 2000)
    state = e2e.resource_state("alice")
    assert state["type"] == "kiro:index:Subscription"
    assert state["id"] == users(e2e)["alice"]["subscription_id"]
    assert e2e.resource_state("engineering")["type"] == "kiro:index:GroupAssignment"
    assert e2e.resource_state("settings")["type"] == "kiro:index:ProfileSettings"

    # The host's build left the SDKs in the Go build cache: later builds only compile main.go.
    stale = go(e2e, "list", "-f", "{{.ImportPath}} {{.Stale}}", *SDK_PACKAGES).split("\n")
    assert [line for line in stale if line] == [f"{p} false" for p in SDK_PACKAGES]

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

    # pulumi import adopts a subscription made with kiroctl, by its subscription_id, and prints
    # the Go code to paste (Pulumi's Go program generator, through the host).
    ctl(e2e, "directory", "add-user", "erin")
    ctl(e2e, "subscribe", "erin", "--tier", "Pro+")
    erin_id = users(e2e)["erin"]["subscription_id"]
    imported = e2e.run_cli(
        "import", "kiro:index:Subscription", "erin", erin_id, "--yes", "--protect=false"
    )
    assert "1 imported" in imported.stdout
    assert 'kiro.NewSubscription(ctx, "erin"' in imported.stdout
    edit(e2e, "main.go", '\n\tctx.Export("alice"', ERIN + '\n\tctx.Export("alice"')
    rebuild = timed_build(e2e)  # main.go changed: only it is compiled again
    print(f"first up (with go build): {first_up:.1f} s; go build after an edit: {rebuild:.1f} s")
    stack.preview(expect_no_changes=True)
    assert e2e.resource_outputs("erin")["userName"] == "erin"

    # destroy: everyone Canceled, the imported subscription too.
    stack.destroy()
    assert {row["status"] for row in users(e2e).values()} == {"Canceled"}
    assert not (e2e.work_dir / ".kiro").exists()  # the configured ledger, not the default


# The bad inputs of the Python and YAML e2e tests, written in Go, with the same messages.
BAD_PROGRAMS: dict[str, tuple[str, str] | None] = {
    "unknown tier": None,  # stack config aliceTier=Gold
    "unknown user": ('User: pulumi.String("alice")', 'User: pulumi.String("nobody")'),
    "empty user": ('User: pulumi.String("alice")', 'User: pulumi.String("  ")'),
    "overage cap": (
        'OveragesEnabled: pulumi.Bool(cfg.GetBool("overages")),',
        "OveragesEnabled: pulumi.Bool(false),\n\t\tOverageCap: pulumi.Any(100),",
    ),
}


@pytest.mark.parametrize("case", list(BAD_PROGRAMS))
def test_go_bad_input_fails_preview_and_changes_nothing(go_stack: E2EStack, case: str) -> None:
    e2e = go_stack
    edit_ = BAD_PROGRAMS[case]
    if edit_ is None:
        e2e.stack.set_config("aliceTier", auto.ConfigValue("Gold"))
    else:
        edit(e2e, "main.go", *edit_)
    _, expected = BAD_INPUTS[case]
    ledger = e2e.work_dir / LEDGER
    before = ledger_dump(ledger)
    with pytest.raises(auto.CommandError) as failure:
        e2e.stack.preview()
    for fragment in expected:
        assert fragment in str(failure.value)
    assert ledger_dump(ledger) == before


def test_go_program_that_does_not_compile_names_the_error(go_stack: E2EStack) -> None:
    edit(go_stack, "main.go", "Group: pulumi.String", "Grup: pulumi.String")
    with pytest.raises(auto.CommandError) as failure:
        go_stack.stack.preview()
    assert "building the Go program" in str(failure.value)
    assert "unknown field Grup" in str(failure.value)
