"""The kiro provider plugin, as the engine runs it through PulumiPlugin.yaml (runtime python):
the Python language host runs this directory, hence this file. See docs/plugin.md."""

from pathlib import Path

from kiro_provider.plugin.server import main

main(Path(__file__).resolve().parent / "schema.json")
