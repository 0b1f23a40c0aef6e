"""Hostile input matrix: every case is refused with an error naming the field and the value (and
the valid values where there is a list), and the ledger is exactly as it was.

The providers are driven the way the engine drives them: `check` on the raw inputs, and then
`create` on the same raw inputs too (a caller that skips `check`, e.g. the gRPC path of another
engine, must not get anything half-written either). kiroctl is driven through its `main`.
Unit tests elsewhere hold single cases; this is the matrix across all entry points.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiro_provider.cli import main
from kiro_provider.errors import KiroError
from kiro_provider.resources import (
    GroupAssignmentProvider,
    ProfileSettingsProvider,
    SubscriptionProvider,
)
from kiro_provider.resources.base import ProviderError
from tests.e2e.harness import ledger_dump
from tests.unit.resources.conftest import World
from tests.unit.resources.conftest import world as world

HUGE = "x" * 10_240
CYRILLIC_ALICE = "\u0430lice"  # Cyrillic a: looks like "alice"
CYRILLIC_PRO = "\u0420ro"  # Cyrillic Er: looks like "Pro"
FULLWIDTH_PLUS = "Pro\uff0b"  # fullwidth plus: looks like "Pro+"
SQL = "alice'; DROP TABLE subscriptions; --"
SHELL = "$(touch /tmp/kiro-pwned)`id`;|&"
TIERS_LISTED = "Pro, Pro+, Power"
PROVIDERS: dict[str, Any] = {
    "sub": SubscriptionProvider(),
    "group": GroupAssignmentProvider(),
    "settings": ProfileSettingsProvider(),
}
OWNER = "proj/stack/hostile"


def _sub(**kw: Any) -> dict[str, Any]:
    return {"owner": OWNER, "user": "alice", "tier": "Pro", **kw}


def _grp(**kw: Any) -> dict[str, Any]:
    return {"owner": OWNER, "group": "engineering", "tier": "Pro", **kw}


def _set(**kw: Any) -> dict[str, Any]:
    return {"owner": OWNER, "overages_enabled": True, **kw}


# (provider, raw inputs, field named, fragments the reason must contain)
PROVIDER_CASES = [
    ("sub", _sub(tier=2), "tier", ["2", TIERS_LISTED]),
    ("sub", _sub(tier=2.0), "tier", ["2.0", TIERS_LISTED]),
    ("sub", _sub(tier=True), "tier", ["True"]),
    ("sub", _sub(tier=None), "tier", ["None"]),
    ("sub", _sub(tier=""), "tier", ["''"]),
    ("sub", _sub(tier="   "), "tier", [TIERS_LISTED]),
    ("sub", _sub(tier=CYRILLIC_PRO), "tier", [repr(CYRILLIC_PRO), TIERS_LISTED]),
    ("sub", _sub(tier=FULLWIDTH_PLUS), "tier", [repr(FULLWIDTH_PLUS), TIERS_LISTED]),
    ("sub", _sub(tier=HUGE), "tier", ["xxxx", TIERS_LISTED]),
    ("sub", _sub(tier="Pro'; DROP TABLE subscriptions; --"), "tier", ["DROP", TIERS_LISTED]),
    ("sub", _sub(user=""), "user", ["empty"]),
    ("sub", _sub(user=" \t\n"), "user", ["empty"]),
    ("sub", _sub(user=HUGE), "user", ["too long"]),
    ("sub", _sub(user=CYRILLIC_ALICE), "user", [repr(CYRILLIC_ALICE)]),
    ("sub", _sub(user=SQL), "user", ["DROP TABLE"]),
    ("sub", _sub(user=SHELL), "user", ["touch"]),
    ("sub", _sub(user=42), "user", ["42"]),
    ("sub", _sub(user=["alice"]), "user", ["alice"]),
    ("sub", _sub(user={"name": "alice"}), "user", ["alice"]),
    ("sub", _sub(user=None), "user", ["user"]),
    ("sub", _sub(user="alice\x00"), "user", ["user"]),
    ("sub", _sub(user="u-00000000-0000-0000-0000-000000000000"), "user", ["u-00000000"]),
    ("sub", _sub(profile="nope"), "profile", ["'nope'", "default"]),
    ("sub", _sub(profile=""), "profile", ["profile"]),
    ("sub", _sub(profile="default; DROP TABLE profiles"), "profile", ["DROP", "default"]),
    ("sub", _sub(profile=7), "profile", ["7"]),
    ("sub", _sub(adopt="yes"), "adopt", ["boolean"]),
    ("group", _grp(group=""), "group", ["empty"]),
    ("group", _grp(group="engineering' OR '1'='1"), "group", ["OR '1'"]),
    ("group", _grp(group="\u0435ngineering"), "group", [repr("\u0435ngineering")]),
    ("group", _grp(group=HUGE), "group", ["too long"]),
    ("group", _grp(group=None), "group", ["group"]),
    ("group", _grp(group=3), "group", ["3"]),
    ("group", _grp(group="g-deadbeef"), "group", ["'g-deadbeef'"]),
    ("group", _grp(group=SHELL), "group", ["touch"]),
    ("group", _grp(tier=1), "tier", ["1", TIERS_LISTED]),
    ("group", _grp(tier="Gold"), "tier", ["'Gold'", TIERS_LISTED]),
    ("group", _grp(profile="eu"), "profile", ["'eu'", "default"]),
    ("settings", _set(overage_cap=100), "overage_cap", ["not supported by Kiro yet"]),
    ("settings", _set(overage_cap=0), "overage_cap", ["not supported by Kiro yet"]),
    ("settings", _set(overages_enabled="yes"), "overages_enabled", ["'yes'"]),
    ("settings", _set(overages_enabled="true"), "overages_enabled", ["'true'"]),
    ("settings", _set(overages_enabled=None), "overages_enabled", ["None"]),
    ("settings", _set(profile="eu"), "profile", ["'eu'", "default"]),
    ("settings", _set(profile=HUGE), "profile", ["profile"]),
]


@pytest.fixture
def before(world: World) -> Iterator[list[str]]:
    """The ledger's logical dump before the case; the test compares it after."""
    dump = ledger_dump(world.ledger_path)
    yield dump
    assert ledger_dump(world.ledger_path) == dump, "the ledger changed"


@pytest.mark.parametrize(
    ("kind", "news", "field", "fragments"),
    PROVIDER_CASES,
    ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(PROVIDER_CASES)],
)
def test_providers_refuse_and_change_nothing(
    before: list[str], kind: str, news: dict[str, Any], field: str, fragments: list[str]
) -> None:
    provider = PROVIDERS[kind]
    result = provider.check({}, dict(news))
    reasons = {f.property: f.reason for f in result.failures}
    assert field in reasons, reasons
    for fragment in fragments:
        assert fragment in reasons[field], (fragment, reasons[field])
    assert len(reasons[field]) < 400, "the error echoes a 10 KB value in full"
    # The engine always creates from check's output; raw inputs must still write nothing (the
    # KeyError for a missing canonical field is not pretty, but it is raised before any write).
    with pytest.raises((ProviderError, KiroError, KeyError)):
        provider.create(dict(news))


def _seed(ledger: Path) -> None:
    for name in ("alice", "bob"):
        assert main(["--ledger", str(ledger), "directory", "add-user", name]) == 0
    group = ["directory", "add-group", "engineering", "--member", "alice"]
    assert main(["--ledger", str(ledger), *group]) == 0
    assert main(["--ledger", str(ledger), "subscribe", "alice", "--tier", "Pro"]) == 0


# (kiroctl arguments, fragments of the one error line)
CLI_CASES = [
    (("subscribe", SQL, "--tier", "Pro"), ["user", "DROP TABLE"]),
    (("subscribe", SHELL, "--tier", "Pro"), ["user", "touch"]),
    (("subscribe", HUGE, "--tier", "Pro"), ["user"]),
    (("subscribe", CYRILLIC_ALICE, "--tier", "Pro"), ["user", CYRILLIC_ALICE]),
    (("subscribe", "bob", "--tier", "2"), ["tier", "'2'", TIERS_LISTED]),
    (("subscribe", "bob", "--tier", ""), ["tier", TIERS_LISTED]),
    (("subscribe", "bob", "--tier", CYRILLIC_PRO), ["tier", TIERS_LISTED]),
    (("subscribe", "", "--tier", "Pro"), ["user"]),
    (("subscribe", "bob", "--tier", "Pro", "--profile", "x; rm -rf ~"), ["profile", "default"]),
    (("change-plan", "alice", "--tier", "Pro'--"), ["tier", TIERS_LISTED]),
    (("change-plan", "--group", "engineering' --", "--tier", "Pro"), ["group"]),
    (("activate", "u-00000000-0000-0000-0000-000000000000"), ["user", "u-00000000"]),
    (("settings", "--overages", "maybe"), ["overages", "maybe"]),
    (("bill", "--month", "2026-13"), ["2026-13"]),
]


@pytest.mark.parametrize(
    ("args", "fragments"),
    CLI_CASES,
    ids=[f"kiroctl-{a[0]}-{i}" for i, (a, _) in enumerate(CLI_CASES)],
)
def test_kiroctl_refuses_and_changes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    fragments: list[str],
) -> None:
    for name in ("KIRO_LEDGER", "KIRO_PROFILE", "KIRO_DIRECTORY", "KIRO_SIMULATED_NOW"):
        monkeypatch.delenv(name, raising=False)
    ledger = tmp_path / "ledger.db"
    _seed(ledger)
    dump = ledger_dump(ledger)
    capsys.readouterr()
    try:
        code = main(["--ledger", str(ledger), *args])
    except SystemExit as exc:  # argparse refusals
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code in (1, 2), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert ledger_dump(ledger) == dump
    assert not Path("/tmp/kiro-pwned").exists()


def test_the_matrix_is_at_least_forty_cases() -> None:
    assert len(PROVIDER_CASES) + len(CLI_CASES) >= 40
