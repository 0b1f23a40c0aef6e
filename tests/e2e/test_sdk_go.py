"""sdk/go is generated: scripts/generate-sdk-go (`pulumi package gen-sdk --language go` on the
engine's Go language host, then go.mod) writes exactly what the repository holds."""

from __future__ import annotations

import filecmp
import subprocess
from pathlib import Path

from tests.e2e.harness import REPO

SDK = REPO / "sdk" / "go"


def tree(root: Path) -> set[str]:
    """Every file under ``root``, as a path relative to it."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_sdk_go_is_what_generate_sdk_go_writes(tmp_path: Path) -> None:
    out = tmp_path / "go"
    subprocess.run(
        [str(REPO / "scripts" / "generate-sdk-go"), str(out)], check=True, capture_output=True
    )
    held, generated = tree(SDK), tree(out)
    assert "kiro/subscription.go" in generated and "go.mod" in generated
    differ = sorted(
        name for name in held & generated if not filecmp.cmp(SDK / name, out / name, shallow=False)
    )
    mismatch = {
        "only in sdk/go": sorted(held - generated),
        "not in sdk/go": sorted(generated - held),
        "different": differ,
    }
    assert not any(mismatch.values()), f"run scripts/generate-sdk-go: {mismatch}"
