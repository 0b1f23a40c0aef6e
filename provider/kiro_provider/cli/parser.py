"""The kiroctl command line: every command, its options, its help and an example.

Help is the documentation: each command has a one-line ``help``, a ``description`` and an
``Examples:`` epilog, and each option has help text (a test fails when one is missing). Tier and
month are parsed here, so a bad value is refused before any ledger is opened.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

from kiro_provider.cli import commands, cost, export
from kiro_provider.cli.commands import Handler
from kiro_provider.domain.tiers import VALID_TIERS, parse_tier

PROG = "kiroctl"

EXIT_CODES = """\
exit codes:
  0  success
  1  the operation was refused: unknown user, group or profile; a subscription that does not
     fit the command; a file that is not a ledger or comes from a newer release; an
     export folder that is not empty
  2  invalid input: a malformed tier, month, time, export format or preview file, or a
     usage error
  3  kiroctl cost --max-increase: next month's run rate rises by more than the limit

environment:
  KIRO_LEDGER         default for --ledger (else .kiro/ledger.db)
  KIRO_SIMULATED_NOW  default for --now (else the real UTC clock)
  KIRO_PROFILE        default for --profile (else "default")
  KIRO_DIRECTORY      where users and groups come from: ledger (default) or identitycenter
  KIRO_CONTROL_PLANE  default for --control-plane (else ledger)
  with --control-plane aws (experimental, docs/aws.md): KIRO_REGION,
  KIRO_IDENTITY_CENTER_INSTANCE_ARN, KIRO_APPLICATION_ARN, KIRO_IDENTITY_STORE_ID,
  KIRO_IDENTITY_STORE_REGION, and AWS credentials as for the AWS CLI
"""

_Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def build_parser() -> argparse.ArgumentParser:
    """The kiroctl parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="kiroctl: the Kiro console on the command line (Users and Groups tabs, "
        "Settings, change plan, unsubscribe, activate a user, the monthly bill).",
        epilog="examples:\n  kiroctl directory add-user alice --email alice@example.com\n"
        "  kiroctl subscribe alice --tier Pro+\n  kiroctl users\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_globals(parser, default=None)
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, help="what to do (see COMMAND --help)"
    )
    _add_directory(sub)
    _add_subscribe(sub)
    _add_change_plan(sub)
    _add_unsubscribe(sub)
    _add_activate(sub)
    _add_users(sub)
    _add_groups(sub)
    _add_settings(sub)
    _add_bill(sub)
    _add_export(sub)
    _add_cost(sub)
    return parser


def _add_globals(parser: argparse.ArgumentParser, *, default: str | None) -> None:
    """--ledger, --now and --control-plane, accepted before or after the command (after: only
    when given)."""
    parser.add_argument(
        "--control-plane",
        choices=("ledger", "aws"),
        default=default,
        help="ledger: the embedded ledger; aws: Kiro's own service in your AWS account "
        "(experimental; try read-only commands first: users, groups, settings) "
        "(default: $KIRO_CONTROL_PLANE, else ledger)",
    )
    parser.add_argument(
        "--ledger",
        metavar="PATH",
        default=default,
        help="the ledger file (default: $KIRO_LEDGER, else .kiro/ledger.db)",
    )
    parser.add_argument(
        "--now",
        metavar="ISO-8601",
        default=default,
        help="the control plane's clock, e.g. 2026-12-01T00:00:00Z, to try month boundaries "
        "(default: $KIRO_SIMULATED_NOW, else the real clock)",
    )


def _command(
    sub: _Subparsers, name: str, summary: str, examples: str, handler: Handler | None
) -> argparse.ArgumentParser:
    """A subcommand with its help, description and examples; ``handler`` runs it."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=summary,
        description=summary,
        epilog="examples:\n"
        + "".join(f"  {line}\n" for line in examples.splitlines())
        + "\n"
        + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_globals(parser, default=argparse.SUPPRESS)
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def _profile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile", metavar="P", help="the Kiro profile (default: $KIRO_PROFILE, else default)"
    )


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _tier(parser: argparse.ArgumentParser) -> None:
    # parse_tier raises ValidationError (not ValueError): argparse lets it through to main,
    # which prints it as one line with exit code 2, before anything is opened.
    parser.add_argument(
        "--tier",
        required=True,
        type=parse_tier,
        metavar="TIER",
        help=f"the plan: {VALID_TIERS} (case-insensitive; pro+ and PRO_PLUS work)",
    )


def _target(parser: argparse.ArgumentParser, verb: str) -> None:
    """USER or --group GROUP, exactly one."""
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "user", nargs="?", metavar="USER", help=f"the user to {verb}: id, user name or email"
    )
    target.add_argument(
        "--group", metavar="GROUP", help=f"{verb} every member of this group (id or name)"
    )


# --- directory ------------------------------------------------------------------------------


def _add_directory(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "directory",
        "manage users, groups and memberships of the ledger-held directory",
        "kiroctl directory add-user alice --email alice@example.com\n"
        "kiroctl directory add-group engineering --member alice --member bob",
        None,
    )
    inner = parser.add_subparsers(
        dest="directory_command",
        metavar="SUBCOMMAND",
        required=True,
        help="the directory operation (see SUBCOMMAND --help)",
    )
    add_user = _command(
        inner,
        "add-user",
        "add a user to the directory",
        "kiroctl directory add-user alice --email alice@example.com",
        commands.add_user,
    )
    add_user.add_argument("name", metavar="NAME", help="the user name (unique)")
    add_user.add_argument("--email", metavar="E", help="the user's email address")
    add_group = _command(
        inner,
        "add-group",
        "add a group, optionally with members",
        "kiroctl directory add-group engineering --member alice --member bob",
        commands.add_group,
    )
    add_group.add_argument("name", metavar="NAME", help="the group's display name (unique)")
    add_group.add_argument(
        "--member",
        metavar="USER",
        action="append",
        help="a member (id, user name or email); repeat for several",
    )
    _membership(inner, "add-member", "add a user to a group", commands.add_member)
    _membership(inner, "remove-member", "remove a user from a group", commands.remove_member)


def _membership(sub: _Subparsers, name: str, summary: str, handler: Handler) -> None:
    parser = _command(
        sub,
        name,
        summary + " (re-apply a group assignment with change-plan --group)",
        f"kiroctl directory {name} engineering carol",
        handler,
    )
    parser.add_argument("group", metavar="GROUP", help="the group: id or display name")
    parser.add_argument("user", metavar="USER", help="the user: id, user name or email")


# --- plans ----------------------------------------------------------------------------------


def _add_subscribe(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "subscribe",
        "subscribe a user, or every member of a group, to a tier",
        "kiroctl subscribe alice --tier Pro+\nkiroctl subscribe --group engineering --tier Pro",
        commands.subscribe,
    )
    _target(parser, "subscribe")
    _tier(parser)
    _profile(parser)


def _add_change_plan(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "change-plan",
        "change the tier of a user's direct subscription or of a group assignment (upgrades "
        "now, downgrades on the 1st of next month; the same tier re-applies a group)",
        "kiroctl change-plan alice --tier Power\n"
        "kiroctl change-plan --group engineering --tier Pro+",
        commands.change_plan,
    )
    _target(parser, "change the plan of")
    _tier(parser)
    _profile(parser)


def _add_unsubscribe(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "unsubscribe",
        "deactivate a user's plan (every assignment; Canceled at once), or remove a group "
        "assignment",
        "kiroctl unsubscribe alice\nkiroctl unsubscribe --group engineering",
        commands.unsubscribe,
    )
    _target(parser, "unsubscribe")
    _profile(parser)


def _add_activate(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "activate",
        "activate a subscribed user, as their first sign-in does (Pending -> Active)",
        "kiroctl activate alice",
        commands.activate,
    )
    parser.add_argument("user", metavar="USER", help="the user: id, user name or email")
    _profile(parser)


# --- tabs -----------------------------------------------------------------------------------


def _add_users(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "users",
        "the Users tab: every subscription of the profile",
        "kiroctl users\nkiroctl users --profile eu --json",
        commands.users,
    )
    _profile(parser)
    _json(parser)


def _add_groups(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "groups",
        "the Groups tab: every group assignment of the profile",
        "kiroctl groups\nkiroctl groups --json",
        commands.groups,
    )
    _profile(parser)
    _json(parser)


def _add_settings(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "settings",
        "show or change the profile's settings (overages)",
        "kiroctl settings\nkiroctl settings --overages on",
        commands.settings,
    )
    _profile(parser)
    parser.add_argument(
        "--overages",
        choices=("on", "off"),
        help="enable or disable overages for every user and group of the profile",
    )
    _json(parser)


def _add_bill(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "bill",
        "the profile's bill for one calendar month",
        "kiroctl bill --month 2026-11\nkiroctl bill --month 2026-12 --json",
        commands.bill,
    )
    parser.add_argument(
        "--month",
        required=True,
        type=commands.calendar_month,
        metavar="YYYY-MM",
        help="the calendar month, e.g. 2026-11",
    )
    _profile(parser)
    _json(parser)


# --- adopting -------------------------------------------------------------------------------


def _add_export(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "export",
        "write the profile as a Pulumi project whose first `pulumi up` adopts it and changes "
        "nothing (settings, direct subscriptions and group assignments, with adopt=True)",
        "kiroctl export --out kiro-default\n"
        "kiroctl export --profile eu --format yaml --out kiro-eu\n"
        "cd kiro-default && pulumi stack init dev && pulumi up",
        export.export,
    )
    _profile(parser)
    parser.add_argument(
        "--format",
        type=export.parse_format,
        default="python",
        metavar="FORMAT",
        help=f"the program's language: {', '.join(export.FORMATS)} (default: python; yaml runs "
        "through the kiro provider plugin)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="a new (or empty) folder to write the project into (default: the current "
        "directory, which must be empty); no file is ever overwritten",
    )
    parser.add_argument(
        "--plugin-path",
        metavar="DIR",
        help="with --format yaml: the directory holding pulumi-kiro's PulumiPlugin.yaml, "
        "written into Pulumi.yaml (default: the checkout this kiroctl is installed from)",
    )


# --- what a change costs --------------------------------------------------------------------


def _add_cost(sub: _Subparsers) -> None:
    parser = _command(
        sub,
        "cost",
        "what a `pulumi preview --json` costs before it is applied: seats, this month's bill "
        "and next month's run rate, before and after, per user",
        "kiroctl cost preview.json    (after: pulumi preview --json > preview.json)\n"
        "kiroctl cost --json --max-increase 500 preview.json\n"
        "pulumi preview --json | kiroctl cost --markdown -",
        cost.run,
    )
    parser.add_argument(
        "preview",
        metavar="PREVIEW",
        help="a file written by `pulumi preview --json` (Python program or any language "
        "through the kiro plugin), or - for stdin",
    )
    _profile(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help="print JSON: profile, month, seats, this_month, next_month, changes",
    )
    output.add_argument(
        "--markdown", action="store_true", help="print a short summary for a pull-request comment"
    )
    parser.add_argument(
        "--max-increase",
        metavar="USD",
        type=cost.max_increase,
        help="exit 3 when next month's run rate rises by more than USD (after printing the report)",
    )
