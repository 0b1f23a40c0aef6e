"""kiroctl's entry point: parse, open, run one command, translate errors once.

Every :class:`~kiro_provider.errors.KiroError` becomes one line on stderr,
``kiroctl: error: <message>``, with exit code 2 for invalid input (ValidationError) and 1 for
anything else the control plane refuses; argparse usage errors exit 2 as well. A limit the
caller set (``kiroctl cost --max-increase``) exits 3, after printing the report. Any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys

from kiro_provider.cli.commands import Session
from kiro_provider.cli.parser import PROG, build_parser
from kiro_provider.config import KiroConfig, load_config
from kiro_provider.errors import KiroError, LimitExceededError, ValidationError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_INVALID = 2
EXIT_OVER_LIMIT = 3


def main(argv: list[str] | None = None) -> int:
    """Run kiroctl with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    try:
        args = _parse(argv)
        if isinstance(args, int):
            return args
        output = args.handler(Session(_config(args)), args)
    except KiroError as error:
        if isinstance(error, LimitExceededError) and error.report:
            print(error.report)
        return _fail(error)
    print(output)
    return EXIT_OK


def _parse(argv: list[str] | None) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code argparse chose (usage error: 2, --help: 0)."""
    try:
        return build_parser().parse_args(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else EXIT_INVALID


def _config(args: argparse.Namespace) -> KiroConfig:
    """Flags over environment over defaults; a malformed --now is refused here, unopened."""
    return load_config(
        overrides={
            "ledger_path": args.ledger,
            "simulated_now": args.now,
            "profile": getattr(args, "profile", None),
            "control_plane": args.control_plane,
        }
    )


def exit_code(error: KiroError) -> int:
    """2 for invalid input, 3 for a limit exceeded, 1 for everything else the control plane
    refuses."""
    if isinstance(error, LimitExceededError):
        return EXIT_OVER_LIMIT
    return EXIT_INVALID if isinstance(error, ValidationError) else EXIT_REFUSED


def _fail(error: KiroError) -> int:
    message = " ".join(error.message.split())
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return exit_code(error)
