"""`pulumi package gen-sdk schema.json --language python` works with the engine's Python language
host (Pulumi's Python code generator), and what it writes imports and declares the schema's
resources with the schema's inputs. sdk/python stays the hand-written native SDK; this is the
package other Pulumi users would generate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kiro_provider.plugin.names import snake
from tests.e2e.harness import REPO, engine_bin, engine_env

#: Run with the generated package first on the path: every resource class it declares, by type
#: token, with the keyword arguments of its Args class; and where the package was loaded from.
INTROSPECT = """
import inspect, json
import pulumi
import pulumi_kiro as sdk
resources = {
    cls.pulumi_type: sorted(
        p for p in inspect.signature(getattr(sdk, name + "Args").__init__).parameters
        if p != "__self__"
    )
    for name, cls in vars(sdk).items()
    if inspect.isclass(cls) and issubclass(cls, pulumi.CustomResource)
    and not issubclass(cls, pulumi.ProviderResource)
}
print(json.dumps({"file": sdk.__file__, "resources": resources}))
"""


def test_gen_sdk_python_declares_the_schema_resources_and_inputs(tmp_path: Path) -> None:
    env = {**os.environ, **engine_env(tmp_path)}
    pulumi = str(engine_bin() / "pulumi")
    out = str(tmp_path / "sdk")
    subprocess.run(
        [pulumi, "package", "gen-sdk", "schema.json", "--language", "python", "--out", out],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    generated = tmp_path / "sdk" / "python"
    result = subprocess.run(
        [sys.executable, "-c", INTROSPECT],
        env={**env, "PYTHONPATH": str(generated)},
        check=True,
        text=True,
        capture_output=True,
    )
    found = json.loads(result.stdout)
    assert Path(found["file"]).is_relative_to(generated)  # not the installed native SDK

    schema = json.loads((REPO / "schema.json").read_text())
    expected = {
        token: sorted(snake(name) for name in resource["inputProperties"])
        for token, resource in schema["resources"].items()
    }
    assert found["resources"] == expected
