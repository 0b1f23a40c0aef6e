"""``kiroctl cost``: what a ``pulumi preview --json`` costs, before it is applied.

Reads the preview (``cli/preview.py``), reads the profile as it stands from the control plane
(Users tab, this month's bill, directory lookups for the groups the preview applies), turns the
preview's steps into an assignment plan and hands both to the pure ``domain.cost.estimate``.
Nothing is written: the control plane is only read (as every read does, it applies due
downgrades first, R5).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from kiro_provider.cli import render
from kiro_provider.cli.commands import Session
from kiro_provider.cli.preview import Assignment, Kind, Preview, read_preview
from kiro_provider.controlplane import ControlPlane, UserSubscription
from kiro_provider.domain.calendar import ensure_utc
from kiro_provider.domain.cost import (
    Amounts,
    AssignmentPlan,
    CostEstimate,
    GroupPlan,
    Standing,
    UserCostChange,
    estimate,
)
from kiro_provider.domain.subscription import SubscriptionState
from kiro_provider.domain.tiers import PriceTable, Status, Tier
from kiro_provider.errors import (
    ConflictError,
    KiroError,
    LimitExceededError,
    NotFoundError,
    ValidationError,
)

NOTE = (
    "List prices. Pending users cost nothing until they first sign in; next month assumes "
    "every subscribed user is Active. Overages are not included."
)


def max_increase(value: str) -> Decimal:
    """``--max-increase``: a non-negative amount of USD (parsed before anything is opened)."""
    try:
        amount = Decimal(value.strip().removeprefix("$").replace(",", ""))
    except (InvalidOperation, AttributeError):
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise ValidationError(
            f"max-increase: {value!r} is not an amount of USD; expected a number >= 0, e.g. 100 "
            "or 250.50",
            field="max-increase",
        )
    return amount


def run(session: Session, args: argparse.Namespace) -> str:
    """The handler of ``kiroctl cost``."""
    preview = read_preview(_read(args.preview))  # before anything is opened
    plane = session.plane()
    profile = session.profile()
    now = ensure_utc(session.config.clock()(), name="now")
    result, other_profiles = cost_of(plane, profile, preview, now, PriceTable())
    if args.json:
        report = render.dumps(cost_json(result, profile))
    elif args.markdown:
        report = cost_markdown(result, profile, other_profiles)
    else:
        report = cost_table(result, profile, other_profiles)
    limit: Decimal | None = args.max_increase
    if limit is not None and result.next_month.change > limit:
        over = result.next_month.change - limit
        raise LimitExceededError(
            f"max-increase: next month's run rate rises by {_usd(result.next_month.change)}, "
            f"{_usd(over)} over the limit of {_usd(limit)}",
            field="max-increase",
            report=report,
        )
    return report


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise ValidationError(
            f"preview: cannot read {source!r} ({error.strerror or error}); expected a file "
            "written by `pulumi preview --json`, or - for stdin",
            field="preview",
        ) from None
    except UnicodeDecodeError:
        raise ValidationError(
            f"preview: {source!r} is not UTF-8 text; expected a file written by "
            "`pulumi preview --json`",
            field="preview",
        ) from None


# --- from the preview and the control plane to the domain ----------------------------------


def cost_of(
    plane: ControlPlane, profile: str, preview: Preview, now: datetime, prices: PriceTable
) -> tuple[CostEstimate, frozenset[str]]:
    """The estimate for ``profile``, and the other profiles the preview also changes (not
    counted: one report is one profile's bill)."""
    mine: list[tuple[Assignment | None, Assignment | None]] = []
    others: set[str] = set()
    for step in preview.steps:
        for side in (step.old, step.new):
            if side is not None and side.profile not in (None, profile):
                others.add(side.profile)
        old = step.old if step.old is not None and step.old.profile in (None, profile) else None
        new = step.new if step.new is not None and step.new.profile in (None, profile) else None
        mine.append((old, new))
    plan = _plan(plane, mine)
    subs = plane.list_users(profile)
    _refuse_unpriced(subs, profile)
    month = f"{now.year:04d}-{now.month:02d}"
    billed = _billed_this_month(plane, profile, month, subs)
    standings = {s.user.user_id: _standing(s, billed.get(s.user.user_id)) for s in subs}
    for user_id in sorted(plan.user_ids() - set(standings)):
        standings[user_id] = Standing(_user_name(plane, user_id), None)
    return estimate(standings, plan, now, prices), frozenset(others)


def _refuse_unpriced(subs: Sequence[UserSubscription], profile: str) -> None:
    """A plan this release has no tier for (Kiro's Pro Max, say) has no price here either: an
    estimate that left its holders out would be wrong, so there is none."""
    unpriced = [s for s in subs if s.effective_tier is None or s.tier is None]
    if unpriced:
        named = ", ".join(f"{s.user.user_name!r} ({s.plan_name})" for s in unpriced[:5])
        raise ConflictError(
            f"profile: {profile!r} holds plans this release cannot price: {named}"
            f"{' and more' if len(unpriced) > 5 else ''}; no estimate is given",
            field="profile",
        )


def _billed_this_month(
    plane: ControlPlane, profile: str, month: str, subs: Sequence[UserSubscription]
) -> dict[str, Tier]:
    """Each charged user's tier in this month's bill as things stand. A control plane that
    keeps no bill (Kiro's own service bills through AWS Billing) gets the Active users at their
    tier in force: right unless someone was upgraded, cancelled or re-subscribed earlier in the
    month."""
    try:
        return {line.user_id: line.tier for line in plane.bill(profile, month).lines}
    except KiroError as error:
        if error.code != "NotSupported":
            raise
    return {
        s.user.user_id: s.effective_tier
        for s in subs
        if s.status is Status.ACTIVE and s.effective_tier is not None
    }


def _plan(
    plane: ControlPlane, steps: Iterable[tuple[Assignment | None, Assignment | None]]
) -> AssignmentPlan:
    """Removals first, then what the steps bring in: an update or replace of the same user or
    group removes the old assignment and sets the new one."""
    steps = list(steps)
    direct: dict[str, Tier | None] = {}
    groups: dict[str, GroupPlan | None] = {}
    for old, _ in steps:
        if old is not None:
            if old.kind is Kind.SUBSCRIPTION:
                direct[old.target_id] = None
            else:
                groups[old.target_id] = None
    for _, new in steps:
        if new is not None:
            if new.kind is Kind.SUBSCRIPTION:
                direct[new.target_id] = new.tier
            else:
                members = plane.group_member_ids(new.target_id)
                groups[new.target_id] = GroupPlan(new.tier, members)
    return AssignmentPlan(direct, groups)


def _standing(sub: UserSubscription, billed: Tier | None) -> Standing:
    assert sub.effective_tier is not None  # refused before: _refuse_unpriced
    state = SubscriptionState(
        sub.status, sub.effective_tier, sub.pending_tier, sub.pending_effective_at
    )
    sources = {a.group_id: a.tier for a in sub.assignments}
    return Standing(sub.user.user_name, state, sources, billed)


def _user_name(plane: ControlPlane, user_id: str) -> str:
    try:
        return plane.find_user(user_id).user_name
    except NotFoundError:
        return user_id


# --- output ----------------------------------------------------------------------------------


def _usd(amount: Decimal, *, sign: bool = False) -> str:
    text = f"${abs(amount):,.2f}"
    if amount < 0:
        return f"-{text}"
    return f"+{text}" if sign else text


def _amounts_json(amounts: Amounts) -> dict[str, float]:
    return {
        "before": render.usd(amounts.before),
        "after": render.usd(amounts.after),
        "change": render.usd(amounts.change),
    }


def when_text(change: UserCostChange) -> str:
    """``now``, or the ISO date the change takes effect."""
    if change.effective_at is None:
        return "now"
    return change.effective_at.date().isoformat()


def change_json(change: UserCostChange) -> dict[str, Any]:
    return {
        "user": change.user_name,
        "from": render.tier_name(change.from_tier),
        "to": render.tier_name(change.to_tier),
        "when": when_text(change),
        "this_month": render.usd(change.this_month),
        "next_month": render.usd(change.next_month),
    }


def cost_json(result: CostEstimate, profile: str) -> dict[str, Any]:
    """``kiroctl cost --json``."""
    return {
        "profile": profile,
        "month": result.month,
        "seats": {
            tier.value: {
                "before": result.seats_before[tier],
                "after": result.seats_after[tier],
                "change": result.seats_after[tier] - result.seats_before[tier],
            }
            for tier in Tier
        },
        "this_month": _amounts_json(result.this_month),
        "next_month": _amounts_json(result.next_month),
        "changes": [change_json(c) for c in result.changes],
    }


def _signed(count: int) -> str:
    return f"{count:+d}" if count else "0"


def _seat_rows(result: CostEstimate) -> list[tuple[str, str, str, str]]:
    rows = [
        (
            tier.value,
            str(result.seats_before[tier]),
            str(result.seats_after[tier]),
            _signed(result.seats_after[tier] - result.seats_before[tier]),
        )
        for tier in Tier
    ]
    before, after = sum(result.seats_before.values()), sum(result.seats_after.values())
    rows.append(("total", str(before), str(after), _signed(after - before)))
    return rows


def _next_month_name(result: CostEstimate) -> str:
    year, month = (int(part) for part in result.month.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}"


def _change_rows(changes: Sequence[UserCostChange]) -> list[tuple[str, ...]]:
    return [
        (
            c.user_name,
            render.tier_name(c.from_tier) or "-",
            render.tier_name(c.to_tier) or "-",
            when_text(c),
            _usd(c.this_month, sign=True),
            _usd(c.next_month, sign=True),
        )
        for c in changes
    ]


def _others_note(other_profiles: frozenset[str]) -> str:
    if not other_profiles:
        return ""
    names = ", ".join(sorted(other_profiles))
    return f"\nChanges in other profiles ({names}) are not counted: run again with --profile.\n"


def cost_table(result: CostEstimate, profile: str, other_profiles: frozenset[str]) -> str:
    """The report a person reads."""
    money = render.table(
        ("", "BEFORE", "AFTER", "CHANGE"),
        [
            (label, _usd(amounts.before), _usd(amounts.after), _usd(amounts.change, sign=True))
            for label, amounts in (
                (f"this month ({result.month})", result.this_month),
                (f"next month ({_next_month_name(result)}), all Active", result.next_month),
            )
        ],
    )
    seats = render.table(("SEATS FROM THE 1ST", "BEFORE", "AFTER", "CHANGE"), _seat_rows(result))
    if result.changes:
        changes = render.table(
            ("USER", "FROM", "TO", "WHEN", "THIS MONTH", "NEXT MONTH"),
            _change_rows(result.changes),
        )
    else:
        changes = "No user's plan or bill changes."
    return (
        f"Cost of the preview in profile {profile}, {result.month} (USD)\n\n"
        f"{money}\n\n{seats}\n\n{changes}\n{_others_note(other_profiles)}\n{NOTE}"
    )


def cost_markdown(result: CostEstimate, profile: str, other_profiles: frozenset[str]) -> str:
    """A short summary for a pull-request comment."""

    def row(label: str, before: str, after: str, change: str) -> str:
        return f"| {label} | {before} | {after} | **{change}** |"

    seats_before, seats_after = sum(result.seats_before.values()), sum(result.seats_after.values())
    lines = [
        f"### Kiro cost of this change (profile `{profile}`)",
        "",
        "| | before | after | change |",
        "|---|---:|---:|---:|",
        row(
            f"This month ({result.month})",
            _usd(result.this_month.before),
            _usd(result.this_month.after),
            _usd(result.this_month.change, sign=True),
        ),
        row(
            f"Next month ({_next_month_name(result)}), run rate",
            _usd(result.next_month.before),
            _usd(result.next_month.after),
            _usd(result.next_month.change, sign=True),
        ),
        row("Seats", str(seats_before), str(seats_after), _signed(seats_after - seats_before)),
        "",
    ]
    if result.changes:
        count = len(result.changes)
        lines += [
            f"<details><summary>{count} {'user changes' if count == 1 else 'users change'}"
            "</summary>",
            "",
            "| user | from | to | when | this month | next month |",
            "|---|---|---|---|---:|---:|",
            *("| " + " | ".join(cells) + " |" for cells in _change_rows(result.changes)),
            "",
            "</details>",
            "",
        ]
    else:
        lines += ["No user's plan or bill changes.", ""]
    note = _others_note(other_profiles).strip()
    if note:
        lines += [note, ""]
    lines.append(f"_{NOTE}_")
    return "\n".join(lines)
