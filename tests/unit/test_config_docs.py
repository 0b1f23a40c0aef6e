"""The README's configuration table is config.py's table of settings, row for row."""

from __future__ import annotations

from kiro_provider.config import SETTINGS, Setting
from tests.e2e.harness import REPO

HEADER = "| stack config | environment | default | meaning |"


def _cells(setting: Setting) -> list[str]:
    key = f"`{setting.key}`" if setting.key else ""
    return [key, f"`{setting.env}`", setting.default, setting.meaning]


def _readme_rows() -> list[list[str]]:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2  # past the header and its |---| line
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[start:end]]


def test_readme_config_table_is_the_settings_table() -> None:
    expected = [_cells(s) for s in SETTINGS if not s.aws_only]
    table = "\n".join("| " + " | ".join(cells) + " |" for cells in expected)
    assert _readme_rows() == expected, f"README.md's table should read:\n{table}"
