"""The monthly bill over the ledger's history (R9), with a controllable clock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kiro_provider.controlplane import Group, User
from kiro_provider.domain.tiers import PriceTable, Tier
from kiro_provider.errors import NotFoundError, ValidationError
from kiro_provider.ledger import Ledger, LedgerControlPlane, LedgerDirectory

from .conftest import Clock

P = "default"
PRO, PLUS, POWER = Tier.PRO, Tier.PRO_PLUS, Tier.POWER


def _lines(cp: LedgerControlPlane, month: str) -> list[tuple[str, Tier, Decimal]]:
    return [(line.user_name, line.tier, line.usd) for line in cp.bill(P, month).lines]


def test_pending_users_are_not_charged_and_active_ones_are(
    cp: LedgerControlPlane, users: dict[str, User]
) -> None:
    cp.subscribe_user(P, users["alice"].user_id, PLUS, owner=None)
    cp.subscribe_user(P, users["bob"].user_id, POWER, owner=None)
    cp.activate_user(P, users["bob"].user_id)
    bill = cp.bill(P, "2025-11")
    assert [(x.user_name, x.tier, x.usd) for x in bill.lines] == [("bob", POWER, Decimal(200))]
    assert bill.total_usd == Decimal(200) and bill.month == "2025-11"
    assert cp.bill(P, "2025-10").lines == ()


def test_upgrade_rerates_the_month_and_downgrade_waits(
    cp: LedgerControlPlane, users: dict[str, User], clock: Clock
) -> None:
    uid = users["alice"].user_id
    cp.subscribe_user(P, uid, PRO, owner=None)
    cp.activate_user(P, uid)
    clock.set("2025-11-20")
    cp.subscribe_user(P, uid, POWER, owner=None)
    clock.set("2025-11-30T23:59:59")
    cp.subscribe_user(P, uid, PLUS, owner=None)  # takes effect Dec 1
    clock.set("2026-01-15")
    assert _lines(cp, "2025-11") == [("alice", POWER, Decimal(200))]
    assert _lines(cp, "2025-12") == [("alice", PLUS, Decimal(40))]
    assert _lines(cp, "2026-01") == [("alice", PLUS, Decimal(40))]


def test_cancel_mid_month_still_pays_that_month_only(
    cp: LedgerControlPlane, users: dict[str, User], clock: Clock
) -> None:
    uid = users["alice"].user_id
    cp.subscribe_user(P, uid, PLUS, owner=None)
    cp.activate_user(P, uid)
    clock.set("2025-12-10")
    cp.unsubscribe_user(P, uid)
    assert _lines(cp, "2025-12") == [("alice", PLUS, Decimal(40))]
    assert _lines(cp, "2026-01") == []


def test_overlapping_groups_bill_once_at_the_highest_tier(
    cp: LedgerControlPlane, users: dict[str, User], groups: dict[str, Group]
) -> None:
    cp.subscribe_group(P, groups["eng"].group_id, PRO, owner=None)
    cp.subscribe_group(P, groups["ops"].group_id, POWER, owner=None)
    for user in users.values():
        cp.activate_user(P, user.user_id)
    assert _lines(cp, "2025-11") == [
        ("alice", PRO, Decimal(20)),
        ("bob", POWER, Decimal(200)),
        ("carol", POWER, Decimal(200)),
    ]
    assert cp.bill(P, "2025-11").total_usd == Decimal(420)


def test_a_leaver_falls_back_next_month(
    cp: LedgerControlPlane,
    directory: LedgerDirectory,
    users: dict[str, User],
    groups: dict[str, Group],
    clock: Clock,
) -> None:
    cp.subscribe_group(P, groups["eng"].group_id, PRO, owner=None)
    cp.subscribe_group(P, groups["ops"].group_id, POWER, owner=None)
    cp.activate_user(P, users["bob"].user_id)
    clock.set("2025-11-25")
    directory.remove_member("ops", "bob")
    cp.subscribe_group(P, groups["ops"].group_id, POWER, owner=None)
    assert _lines(cp, "2025-11") == [("bob", POWER, Decimal(200))]
    assert _lines(cp, "2025-12") == [("bob", PRO, Decimal(20))]


def test_custom_prices_and_profiles(
    ledger: Ledger, directory: LedgerDirectory, users: dict[str, User], clock: Clock
) -> None:
    prices = PriceTable(monthly_usd={PRO: Decimal("15"), PLUS: Decimal(30), POWER: Decimal(150)})
    cp = LedgerControlPlane(ledger, directory, clock, prices=prices)
    ledger.create_profile("eu")
    for profile in ("default", "eu"):
        cp.subscribe_user(profile, users["alice"].user_id, PRO, owner=None)
        cp.activate_user(profile, users["alice"].user_id)
    assert cp.bill("eu", "2025-11").total_usd == Decimal(15)
    assert cp.bill("default", "2025-11").total_usd == Decimal(15)


def test_bad_months_and_profiles(cp: LedgerControlPlane) -> None:
    for month in ("2025-13", "2025-1", "November", ""):
        with pytest.raises(ValidationError, match="month"):
            cp.bill(P, month)
    with pytest.raises(NotFoundError, match="profile"):
        cp.bill("nope", "2025-11")
