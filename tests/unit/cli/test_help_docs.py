"""Help and docs are part of the interface: every command has help, an example and a doc entry.

``problems`` lists what is missing; the tests assert it finds nothing in kiroctl's parser and
that it does find a command deliberately left without help, so they can fail.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kiro_provider.cli.parser import build_parser

from .support import Run

DOCS = Path(__file__).resolve().parents[3] / "docs" / "kiroctl.md"

#: Every command kiroctl must have, exactly.
SPEC_COMMANDS = {
    "directory",
    "directory add-user",
    "directory add-group",
    "directory add-member",
    "directory remove-member",
    "subscribe",
    "change-plan",
    "unsubscribe",
    "activate",
    "users",
    "groups",
    "settings",
    "bill",
    "export",
    "cost",
}


def commands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> list[tuple[str, str | None, argparse.ArgumentParser]]:
    """(path, one-line help, parser) of every command and subcommand under ``parser``."""
    found: list[tuple[str, str | None, argparse.ArgumentParser]] = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        summaries = {a.dest: a.help for a in action._choices_actions}
        for name, sub in action.choices.items():
            path = f"{prefix}{name}"
            found.append((path, summaries.get(name), sub))
            found.extend(commands(sub, prefix=f"{path} "))
    return found


def problems(parser: argparse.ArgumentParser, docs: str) -> list[str]:
    """Every command without help, an example or a doc entry, and every option without help."""
    found = [f"kiroctl {a.dest}: option without help" for a in parser._actions if not a.help]
    for path, summary, sub in commands(parser):
        if not summary:
            found.append(f"{path}: no help")
        if f"  kiroctl {path}" not in (sub.epilog or "") or "examples:" not in (sub.epilog or ""):
            found.append(f"{path}: no example in the epilog")
        if f"### kiroctl {path}\n" not in docs and path != "directory":
            found.append(f"{path}: not documented in docs/kiroctl.md")
        found.extend(f"{path} {a.dest}: option without help" for a in sub._actions if not a.help)
    return found


def test_every_command_has_help_an_example_and_docs() -> None:
    assert problems(build_parser(), DOCS.read_text()) == []


def test_the_check_catches_a_command_without_help_or_docs() -> None:
    parser = argparse.ArgumentParser(prog="kiroctl")
    sub = parser.add_subparsers(help="commands")
    bare = sub.add_parser("frobnicate")
    bare.add_argument("--level")
    assert problems(parser, DOCS.read_text()) == [
        "frobnicate: no help",
        "frobnicate: no example in the epilog",
        "frobnicate: not documented in docs/kiroctl.md",
        "frobnicate level: option without help",
    ]


def test_exactly_the_commands_of_the_spec() -> None:
    assert {path for path, _, _ in commands(build_parser())} == SPEC_COMMANDS


def test_docs_and_help_list_the_exit_codes() -> None:
    docs = DOCS.read_text()
    assert "## Exit codes" in docs
    for path, _, sub in commands(build_parser()):
        assert "exit codes:" in (sub.epilog or ""), path
        assert "  2  invalid input" in (sub.epilog or ""), path


@pytest.mark.parametrize("path", sorted(SPEC_COMMANDS))
def test_help_prints_and_exits_zero(run: Run, path: str) -> None:
    result = run(*path.split(), "--help")
    assert result.code == 0
    assert f"usage: kiroctl {path}" in result.out
    assert "examples:" in result.out


def test_top_level_help_lists_every_command(run: Run) -> None:
    result = run("--help")
    assert result.code == 0
    for name in ("directory", "subscribe", "change-plan", "unsubscribe", "activate", "bill"):
        assert name in result.out
    assert "exit codes:" in result.out
