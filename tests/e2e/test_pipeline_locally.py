"""End to end: examples/pipeline/run-locally, the CI pipeline's steps with the Pulumi state in
moto_server's S3 (on 127.0.0.1) and the embedded ledger."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import REPO, engine_bin

SCRIPT = REPO / "examples" / "pipeline" / "run-locally"


def test_pipeline_runs_end_to_end_on_s3_state(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PULUMI_", "KIRO_", "AWS_"))
    }
    env.update(
        PATH=f"{engine_bin()}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
        PULUMI_PYTHON_CMD=sys.executable,
        WORK_DIR=str(tmp_path),
        MAX_INCREASE="40",
    )
    result = subprocess.run(
        [str(SCRIPT)], env=env, text=True, capture_output=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pipeline passed" in result.stdout
    # The pull request's comment: engineering (carol Active, dave Pending) Pro -> Pro+.
    comment = (tmp_path / "cost.md").read_text()
    assert "run rate | $80.00 | $120.00 | **+$40.00** |" in comment
    assert "| carol | Pro | Pro+ | now | +$20.00 | +$20.00 |" in comment
    assert "gate at $40: passed" in result.stdout
    assert "rises by $40.00, $39.00 over the limit of $1.00" in result.stdout
    assert "drift found, as expected" in result.stdout
    assert "s3://kiro-pipeline-state/.pulumi/stacks/kiro-pipeline/dev.json" in result.stdout
    assert not (tmp_path / "project" / ".pulumi").exists()  # no local state: it is in S3
