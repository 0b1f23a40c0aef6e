"""How kiroctl shows records: aligned tables for people, JSON for programs, one-line summaries.

The only module of the CLI that knows output formats. It takes the control plane's typed
records and returns text; it never calls the control plane.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kiro_provider.controlplane import (
    Bill,
    BillLine,
    Group,
    GroupMember,
    GroupSubscription,
    ProfileSettings,
    User,
    UserSubscription,
)
from kiro_provider.domain.calendar import iso_utc
from kiro_provider.domain.tiers import Tier

#: A JSON object as kiroctl prints it.
JsonObject = dict[str, Any]
#: Group id -> group name, to show the groups that feed a subscription by name.
GroupNames = Mapping[str, str]

_NONE = "-"


def tier_name(tier: Tier | None) -> str | None:
    """The display name of ``tier`` (``Pro``, ``Pro+``, ``Power``), or None."""
    return None if tier is None else tier.value


def usd(amount: Decimal) -> float:
    """An amount in dollars as a JSON number."""
    return float(amount)


def dumps(document: object) -> str:
    """Pretty, stable JSON (keys in the order the record defines them)."""
    return json.dumps(document, indent=2)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned text table: a header, a rule under it, one line per row."""
    grid = [list(headers), ["-" * len(h) for h in headers], *[list(r) for r in rows]]
    widths = [max(len(line[i]) for line in grid) for i in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in grid
    )


# --- Users tab ------------------------------------------------------------------------------


def feeding_groups(sub: UserSubscription, names: GroupNames) -> list[str]:
    """Names (or ids, when the name is unknown) of the groups whose assignments feed ``sub``."""
    ids = [a.group_id for a in sub.assignments if a.group_id is not None]
    return [names.get(group_id, group_id) for group_id in ids]


def user_json(sub: UserSubscription, names: GroupNames) -> JsonObject:
    """One row of ``kiroctl users --json``."""
    return {
        "user_name": sub.user.user_name,
        "user_id": sub.user.user_id,
        "email": sub.user.email,
        "subscription_id": sub.subscription_id,
        "status": sub.status.value,
        "tier": tier_name(sub.tier) or sub.plan,
        "effective_tier": sub.plan_name,
        "pending_tier": tier_name(sub.pending_tier),
        "pending_effective_at": iso_utc(sub.pending_effective_at),
        "credits": sub.credits,
        "groups": feeding_groups(sub, names),
    }


def pending_text(sub: UserSubscription) -> str:
    """``Pro from 2026-12-01T00:00:00Z`` for a scheduled downgrade, else ``-``."""
    if sub.pending_tier is None:
        return _NONE
    return f"{sub.pending_tier.value} from {iso_utc(sub.pending_effective_at)}"


def users_table(subs: Sequence[UserSubscription], names: GroupNames, profile: str) -> str:
    """The Users tab as an aligned table (a one-line note when it is empty)."""
    if not subs:
        return f"No subscriptions in profile {profile}."
    headers = (
        "USER",
        "EMAIL",
        "STATUS",
        "TIER",
        "EFFECTIVE",
        "PENDING",
        "CREDITS",
        "GROUPS",
        "USER ID",
    )
    rows = [
        (
            s.user.user_name,
            s.user.email or _NONE,
            s.status.value,
            tier_name(s.tier) or str(s.plan),
            s.plan_name,
            pending_text(s),
            _NONE if s.credits is None else f"{s.credits:,}",
            ", ".join(feeding_groups(s, names)) or _NONE,
            s.user.user_id,
        )
        for s in subs
    ]
    return table(headers, rows)


def user_line(sub: UserSubscription) -> str:
    """One line describing a subscription, e.g.
    ``alice: Pro+ (Active), downgrade to Pro scheduled for 2026-12-01T00:00:00Z``."""
    line = f"{sub.user.user_name}: {sub.plan_name} ({sub.status.value})"
    if sub.pending_tier is not None:
        when = iso_utc(sub.pending_effective_at)
        line += f", downgrade to {sub.pending_tier.value} scheduled for {when}"
    return line


# --- Groups tab -----------------------------------------------------------------------------


def member_json(member: GroupMember) -> JsonObject:
    """A member of a subscribed group in ``kiroctl groups --json``."""
    return {
        "user_id": member.user_id,
        "user_name": member.user_name,
        "status": member.status.value,
        "effective_tier": member.effective_tier.value,
    }


def group_json(group: GroupSubscription) -> JsonObject:
    """One row of ``kiroctl groups --json``."""
    return {
        "group_name": group.group.group_name,
        "group_id": group.group.group_id,
        "tier": group.tier.value,
        "member_count": group.member_count,
        "members": [member_json(m) for m in group.members],
    }


def groups_table(groups: Sequence[GroupSubscription], profile: str) -> str:
    """The Groups tab as an aligned table (a one-line note when it is empty)."""
    if not groups:
        return f"No group assignments in profile {profile}."
    headers = ("GROUP", "TIER", "MEMBERS", "MEMBER NAMES", "GROUP ID")
    rows = [
        (
            g.group.group_name,
            g.tier.value,
            str(g.member_count),
            ", ".join(m.user_name for m in g.members) or _NONE,
            g.group.group_id,
        )
        for g in groups
    ]
    return table(headers, rows)


def group_line(group: GroupSubscription) -> str:
    """One line describing a group assignment, e.g. ``engineering: Pro for 3 members``."""
    count = group.member_count
    noun = "member" if count == 1 else "members"
    return f"{group.group.group_name}: {group.tier.value} for {count} {noun}"


# --- Settings and bill ----------------------------------------------------------------------


def on_off(enabled: bool) -> str:
    return "on" if enabled else "off"


def settings_json(settings: ProfileSettings) -> JsonObject:
    """``kiroctl settings --json``."""
    return {"profile": settings.profile, "overages_enabled": settings.overages_enabled}


def settings_table(settings: ProfileSettings) -> str:
    return table(("PROFILE", "OVERAGES"), [(settings.profile, on_off(settings.overages_enabled))])


def settings_line(settings: ProfileSettings) -> str:
    return f"{settings.profile}: overages {on_off(settings.overages_enabled)}"


def bill_line_json(line: BillLine) -> JsonObject:
    return {
        "user_name": line.user_name,
        "user_id": line.user_id,
        "tier": line.tier.value,
        "usd": usd(line.usd),
    }


def bill_json(bill: Bill) -> JsonObject:
    """``kiroctl bill --json``."""
    return {
        "month": bill.month,
        "total_usd": usd(bill.total_usd),
        "lines": [bill_line_json(line) for line in bill.lines],
    }


def bill_table(bill: Bill) -> str:
    """The bill as an aligned table with a total line (a one-line note when nobody is charged)."""
    if not bill.lines:
        return f"No charges in profile {bill.profile} for {bill.month}."
    rows = [(ln.user_name, ln.tier.value, f"{ln.usd:,.2f}", ln.user_id) for ln in bill.lines]
    count = len(bill.lines)
    total = (
        f"Total for {bill.month} (profile {bill.profile}): ${bill.total_usd:,.2f} "
        f"for {count} {'user' if count == 1 else 'users'}"
    )
    return table(("USER", "TIER", "USD", "USER ID"), rows) + "\n\n" + total


# --- Directory ------------------------------------------------------------------------------


def added_user_line(user: User) -> str:
    email = f", {user.email}" if user.email else ""
    return f"added user {user.user_name} (id {user.user_id}{email})"


def added_group_line(group: Group, member_count: int) -> str:
    noun = "member" if member_count == 1 else "members"
    return f"added group {group.group_name} (id {group.group_id}) with {member_count} {noun}"
