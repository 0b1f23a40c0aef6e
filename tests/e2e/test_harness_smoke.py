"""The harness itself: a real up / preview / update / destroy cycle with a dynamic resource."""

from __future__ import annotations

from pathlib import Path

from pulumi import automation as auto

from tests.e2e.harness import new_stack

SMOKE = Path(__file__).parent / "programs" / "smoke"


def test_smoke_lifecycle(tmp_path: Path) -> None:
    e2e = new_stack(SMOKE, tmp_path)
    stack = e2e.stack

    up = stack.up()
    assert up.summary.result == "succeeded"
    assert up.outputs["message"].value == "hello"
    assert up.summary.resource_changes == {"create": 2}

    preview = stack.preview(expect_no_changes=True)
    assert preview.change_summary == {"same": 2}

    stack.set_config("message", auto.ConfigValue("changed"))
    preview = stack.preview()
    assert preview.change_summary.get("update") == 1
    up = stack.up()
    assert up.outputs["message"].value == "changed"

    stack.destroy()
    assert stack.export_stack().deployment.get("resources", []) == []
