"""A month end tried with --now: a downgrade waits for the 1st, then is in force; the bill."""

from __future__ import annotations

from .support import Run


def at(when: str) -> tuple[str, str]:
    return ("--now", when)


def alice(run: Run, when: str) -> dict[str, object]:
    [row] = run(*at(when), "users", "--json").json()
    return dict(row)


def test_downgrade_scheduled_on_nov_30_is_in_force_on_dec_1(seeded: Run) -> None:
    assert seeded(*at("2026-11-10T09:00:00Z"), "subscribe", "alice", "--tier", "Power").code == 0
    assert seeded(*at("2026-11-10T09:05:00Z"), "activate", "alice").code == 0
    down = seeded(*at("2026-11-30T23:59:59Z"), "change-plan", "alice", "--tier", "Pro")
    assert down.out == (
        "alice: Power (Active), downgrade to Pro scheduled for 2026-12-01T00:00:00Z\n"
    )

    before = alice(seeded, "2026-11-30T23:59:59Z")
    assert (before["effective_tier"], before["pending_tier"]) == ("Power", "Pro")
    assert before["pending_effective_at"] == "2026-12-01T00:00:00Z"
    assert before["credits"] == 10_000

    after = alice(seeded, "2026-12-01T00:00:00Z")
    assert (after["tier"], after["effective_tier"], after["credits"]) == ("Pro", "Pro", 1_000)
    assert (after["pending_tier"], after["pending_effective_at"]) == (None, None)

    nov = seeded(*at("2026-12-01T00:00:00Z"), "bill", "--month", "2026-11", "--json").json()
    assert [(line["tier"], line["usd"]) for line in nov["lines"]] == [("Power", 200)]
    dec = seeded(*at("2026-12-15T00:00:00Z"), "bill", "--month", "2026-12", "--json").json()
    assert [(line["tier"], line["usd"]) for line in dec["lines"]] == [("Pro", 20)]
    assert dec["total_usd"] == 20


def test_a_downgrade_made_at_dec_1_midnight_waits_for_jan_1(seeded: Run) -> None:
    seeded(*at("2026-11-10T09:00:00Z"), "subscribe", "alice", "--tier", "Pro+")
    down = seeded(*at("2026-12-01T00:00:00Z"), "change-plan", "alice", "--tier", "Pro")
    assert down.out.endswith("downgrade to Pro scheduled for 2027-01-01T00:00:00Z\n")
    assert alice(seeded, "2026-12-31T23:59:59Z")["effective_tier"] == "Pro+"
    assert alice(seeded, "2027-01-01T00:00:00Z")["effective_tier"] == "Pro"


def test_an_upgrade_drops_the_scheduled_downgrade(seeded: Run) -> None:
    seeded(*at("2026-11-10T09:00:00Z"), "subscribe", "alice", "--tier", "Pro+")
    seeded(*at("2026-11-11T09:00:00Z"), "change-plan", "alice", "--tier", "Pro")
    up = seeded(*at("2026-11-12T09:00:00Z"), "change-plan", "alice", "--tier", "Power")
    assert up.out == "alice: Power (Pending)\n"
    assert alice(seeded, "2026-12-01T00:00:00Z")["effective_tier"] == "Power"
