"""kiroctl cost: a preview file in, the cost of the change out, nothing written.

Previews are written here in both shapes the engine emits: dynamic resources from a Python
program (snake_case inputs, ``pulumi-python:dynamic/kiro:*``) and the plugin's resources from
any language (camelCase inputs, ``kiro:index:*``).
"""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from kiro_provider.cli.cost import cost_of
from kiro_provider.cli.preview import read_preview
from kiro_provider.controlplane import Assignment, User, UserSubscription
from kiro_provider.domain.tiers import PriceTable, Status, Tier
from kiro_provider.errors import ConflictError, KiroError

from .support import Run, dump

NOW = "2026-11-15T12:00:00Z"
PROVIDER_PICKLE = {
    "Subscription": base64.b64encode(
        b"\x80\x04\x95D\x00\x8c$kiro_provider.resources.subscription\x94\x8c\x14"
        b"SubscriptionProvider\x94\x93\x94)\x81\x94."
    ).decode(),
    "GroupAssignment": base64.b64encode(
        b"\x80\x04\x95K\x00\x8c(kiro_provider.resources.group_assignment\x94\x8c\x17"
        b"GroupAssignmentProvider\x94\x93\x94)\x81\x94."
    ).decode(),
}


def python_state(kind: str, target_id: str, tier: str, *, plain: bool = False) -> dict[str, Any]:
    """A resource state as a Python program's preview holds it."""
    ref, id_key = ("user", "user_id") if kind == "Subscription" else ("group", "group_id")
    return {
        "type": "pulumi-python:dynamic:Resource" if plain else f"pulumi-python:dynamic/kiro:{kind}",
        "inputs": {
            "__provider": PROVIDER_PICKLE[kind],
            "owner": f"proj/dev/{target_id}",
            "profile": "default",
            ref: target_id,
            id_key: target_id,
            "tier": tier,
        },
    }


def plugin_state(kind: str, target_id: str, tier: str, profile: str = "default") -> dict[str, Any]:
    """A resource state as the plugin's preview holds it (any language)."""
    ref, id_key = ("user", "userId") if kind == "Subscription" else ("group", "groupId")
    return {
        "type": f"kiro:index:{kind}",
        "inputs": {"profile": profile, ref: target_id, id_key: target_id, "tier": tier},
    }


def step(
    op: str, name: str, old: dict[str, Any] | None = None, new: dict[str, Any] | None = None
) -> dict[str, Any]:
    state = new or old or {}
    urn = f"urn:pulumi:dev::proj::{state.get('type', 'x')}::{name}"
    found: dict[str, Any] = {"op": op, "urn": urn}
    if old is not None:
        found["oldState"] = {**old, "urn": urn}
    if new is not None:
        found["newState"] = {**new, "urn": urn}
    return found


def preview(*steps: dict[str, Any]) -> str:
    stack = {"op": "same", "urn": "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"}
    return json.dumps({"steps": [stack, *steps], "changeSummary": {}})


@pytest.fixture
def ids(run: Run) -> dict[str, str]:
    """alice (Active, direct Pro+), bob (Pending) and carol (Active) in engineering at Pro,
    dave in the directory only."""
    found: dict[str, str] = {}
    for name in ("alice", "bob", "carol", "dave"):
        out = run("directory", "add-user", name).out
        found[name] = re.search(r"id ([^,)]+)", out)[1]  # type: ignore[index]
    run("directory", "add-group", "engineering", "--member", "bob", "--member", "carol")
    early = ("--now", "2026-11-01T09:00:00Z")
    assert run(*early, "subscribe", "alice", "--tier", "Pro+").code == 0
    assert run(*early, "subscribe", "--group", "engineering", "--tier", "Pro").code == 0
    for name in ("alice", "carol"):
        assert run("--now", "2026-11-02T09:00:00Z", "activate", name).code == 0
    groups = json.loads(run("--now", NOW, "groups", "--json").out)
    found["engineering"] = groups[0]["group_id"]
    return found


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "preview.json"
    path.write_text(text)
    return str(path)


def test_python_preview_hand_calculated(run: Run, ids: dict[str, str], tmp_path: Path) -> None:
    text = preview(
        step(
            "update",
            "alice",
            python_state("Subscription", ids["alice"], "Pro+"),
            python_state("Subscription", ids["alice"], "Power"),
        ),
        step(
            "update",
            "engineering",
            python_state("GroupAssignment", ids["engineering"], "Pro"),
            python_state("GroupAssignment", ids["engineering"], "Pro+"),
        ),
        step("create", "dave", new=python_state("Subscription", ids["dave"], "Pro")),
    )
    result = run("--now", NOW, "cost", "--json", write(tmp_path, text))
    report = result.json()
    assert list(report) == ["profile", "month", "seats", "this_month", "next_month", "changes"]
    assert (report["profile"], report["month"]) == ("default", "2026-11")
    # this month: alice 40 + carol 20 -> alice 200 (re-rated) + carol 40; bob and dave Pending.
    assert report["this_month"] == {"before": 60.0, "after": 240.0, "change": 180.0}
    # next month, all Active: 40 + 20 + 20 -> 200 + 40 + 40 + 20.
    assert report["next_month"] == {"before": 80.0, "after": 300.0, "change": 220.0}
    assert report["seats"] == {
        "Pro": {"before": 2, "after": 1, "change": -1},
        "Pro+": {"before": 1, "after": 2, "change": 1},
        "Power": {"before": 0, "after": 1, "change": 1},
    }
    assert report["changes"] == [
        change("alice", "Pro+", "Power", "now", 160, 160),
        change("bob", "Pro", "Pro+", "now", 0, 20),
        change("carol", "Pro", "Pro+", "now", 20, 20),
        change("dave", None, "Pro", "now", 0, 20),
    ]


def change(
    user: str, old: str | None, new: str | None, when: str, this: int, nxt: int
) -> dict[str, Any]:
    return {
        "user": user,
        "from": old,
        "to": new,
        "when": when,
        "this_month": float(this),
        "next_month": float(nxt),
    }


def test_plugin_preview_replace_delete_and_downgrade(
    run: Run, ids: dict[str, str], tmp_path: Path
) -> None:
    text = preview(
        # alice's subscription now names dave: alice cancelled (November paid), dave Pending.
        step(
            "replace",
            "alice",
            plugin_state("Subscription", ids["alice"], "Pro+"),
            plugin_state("Subscription", ids["dave"], "Pro+"),
        ),
        # engineering to Pro... it already is; removing it cancels bob and carol.
        step(
            "delete", "engineering", old=plugin_state("GroupAssignment", ids["engineering"], "Pro")
        ),
    )
    report = run("--now", NOW, "cost", "--json", write(tmp_path, text)).json()
    assert report["this_month"] == {"before": 60.0, "after": 60.0, "change": 0.0}
    assert report["next_month"] == {"before": 80.0, "after": 40.0, "change": -40.0}
    assert report["changes"] == [
        change("alice", "Pro+", None, "now", 0, -40),
        change("bob", "Pro", None, "now", 0, -20),
        change("carol", "Pro", None, "now", 0, -20),
        change("dave", None, "Pro+", "now", 0, 40),
    ]
    downgrade = preview(
        step(
            "update",
            "alice",
            plugin_state("Subscription", ids["alice"], "Pro+"),
            plugin_state("Subscription", ids["alice"], "Pro"),
        )
    )
    report = run("--now", NOW, "cost", "--json", write(tmp_path, downgrade)).json()
    assert report["changes"] == [change("alice", "Pro+", "Pro", "2026-12-01", 0, -20)]


def test_plain_dynamic_resources_are_told_apart_by_their_provider(
    run: Run, ids: dict[str, str], tmp_path: Path
) -> None:
    foreign = {
        "type": "pulumi-python:dynamic:Resource",
        "inputs": {"__provider": base64.b64encode(b"mymodule.OtherProvider").decode(), "x": 1},
    }
    text = preview(
        step("create", "dave", new=python_state("Subscription", ids["dave"], "Power", plain=True)),
        step("create", "other", new=foreign),
    )
    report = run("--now", NOW, "cost", "--json", write(tmp_path, text)).json()
    assert report["changes"] == [change("dave", None, "Power", "now", 0, 200)]


def test_nothing_is_written_and_stdin_works(
    run: Run, ids: dict[str, str], ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = preview(step("delete", "alice", old=python_state("Subscription", ids["alice"], "Pro+")))
    before = dump(ledger)
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    result = run("--now", NOW, "cost", "-")
    assert result.code == 0, result.err
    assert "alice  Pro+  -   now   +$0.00      -$40.00" in result.out
    assert dump(ledger) == before


def test_markdown_summary(run: Run, ids: dict[str, str], tmp_path: Path) -> None:
    text = preview(step("create", "dave", new=python_state("Subscription", ids["dave"], "Power")))
    result = run("--now", NOW, "cost", "--markdown", write(tmp_path, text))
    assert result.code == 0, result.err
    assert "| Next month (2026-12), run rate | $80.00 | $280.00 | **+$200.00** |" in result.out
    assert "| dave | - | Power | now | +$0.00 | +$200.00 |" in result.out


@pytest.mark.parametrize(
    ("limit", "code", "message"),
    [
        ("200", 0, ""),
        ("199.99", 3, "rises by $200.00, $0.01 over the limit of $199.99"),
        ("0", 3, "rises by $200.00, $200.00 over the limit of $0.00"),
    ],
)
def test_max_increase_gate(
    run: Run, ids: dict[str, str], tmp_path: Path, limit: str, code: int, message: str
) -> None:
    text = preview(step("create", "dave", new=python_state("Subscription", ids["dave"], "Power")))
    result = run("--now", NOW, "cost", "--json", "--max-increase", limit, write(tmp_path, text))
    assert result.code == code
    assert json.loads(result.out)["next_month"]["change"] == 200.0  # the report either way
    assert message in result.err


def test_other_profiles_are_not_counted(run: Run, ids: dict[str, str], tmp_path: Path) -> None:
    text = preview(
        step("create", "dave", new=plugin_state("Subscription", ids["dave"], "Power", "eu")),
    )
    result = run("--now", NOW, "cost", write(tmp_path, text))
    assert result.code == 0, result.err
    assert "Changes in other profiles (eu) are not counted" in result.out
    assert "No user's plan or bill changes." in result.out


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not json", "preview: not JSON"),
        ("[1, 2]", "a JSON list, not an object"),
        ('{"resource_changes": []}', "Terraform plan"),
        ('{"deployment": {}}', "stack export"),
        ('{"changeSummary": {}}', "no 'steps' list (keys: changeSummary)"),
        (
            '{"diagnostics": [{"severity": "error", "message": "tier: bad"}], "steps": []}',
            "the preview failed: tier: bad",
        ),
        ('{"steps": [{"urn": "x"}]}', "step 0"),
        ('{"steps": [{"op": "create", "urn": "nope"}]}', "is not a Pulumi URN"),
        (preview(), "holds no Kiro resource"),
        (
            preview(step("create", "x", new=plugin_state("Subscription", "u1", UNKNOWN))),
            "resource x: tier is unknown until the update runs",
        ),
        (
            preview(step("create", "x", new=plugin_state("Subscription", "u1", "gold"))),
            "resource x: tier: 'gold' is not a tier; expected one of Pro, Pro+, Power",
        ),
        (
            preview(step("create", "x", new=plugin_state("Subscription", "", "Pro"))),
            "resource x: user_id '' is missing",
        ),
        (
            preview(step("teleport", "x", new=plugin_state("Subscription", "u1", "Pro"))),
            "op 'teleport' is not a step kiroctl cost knows",
        ),
    ],
)
def test_malformed_or_foreign_preview_exits_2(
    run: Run, ids: dict[str, str], tmp_path: Path, ledger: Path, text: str, expected: str
) -> None:
    before = dump(ledger)
    result = run("--now", NOW, "cost", write(tmp_path, text))
    assert result.code == 2
    assert result.out == ""
    assert expected in result.err
    assert result.err.startswith("kiroctl: error: preview: ")
    assert dump(ledger) == before


@pytest.mark.parametrize("args", [("--max-increase", "lots"), ("--max-increase", "-5")])
def test_bad_max_increase_exits_2(run: Run, args: tuple[str, ...]) -> None:
    result = run("cost", *args, "whatever.json")
    assert result.code == 2
    assert "max-increase" in result.err


def test_missing_file_exits_2(run: Run, ids: dict[str, str]) -> None:
    result = run("cost", "no-such-preview.json")
    assert result.code == 2
    assert "preview: cannot read 'no-such-preview.json'" in result.err


class _NoBillPlane:
    """A control plane that keeps no bill, as Kiro's own service (it bills through AWS)."""

    def __init__(self, subs: list[UserSubscription]) -> None:
        self.subs = subs

    def list_users(self, profile: str) -> list[UserSubscription]:
        return self.subs

    def bill(self, profile: str, month: str) -> object:
        raise _NotSupported("bill: not available with this control plane")

    def group_member_ids(self, group_id: str) -> frozenset[str]:
        return frozenset()


class _NotSupported(KiroError):
    code = "NotSupported"


def test_without_a_bill_this_month_comes_from_the_active_users() -> None:
    alice = User("u-alice", "alice")
    subs = [
        UserSubscription(
            "default", "s1", alice, Status.ACTIVE, Tier.PRO, Tier.PRO, None, None,
            (Assignment(None, Tier.PRO, None),),
        )
    ]  # fmt: skip
    plan = read_preview(
        preview(
            step(
                "update",
                "alice",
                plugin_state("Subscription", "u-alice", "Pro"),
                plugin_state("Subscription", "u-alice", "Power"),
            )
        )
    )
    now = datetime(2026, 11, 15, tzinfo=timezone.utc)
    result, _ = cost_of(_NoBillPlane(subs), "default", plan, now, PriceTable())  # type: ignore[arg-type]
    assert (result.this_month.before, result.this_month.after) == (20, 200)


def test_a_plan_this_release_cannot_price_gives_no_estimate() -> None:
    alice, bob = User("u-alice", "alice"), User("u-bob", "bob")
    subs = [
        UserSubscription(
            "default", "s1", alice, Status.ACTIVE, Tier.PRO, Tier.PRO, None, None,
            (Assignment(None, Tier.PRO, None),),
        ),
        UserSubscription(
            "default", "s2", bob, Status.ACTIVE, None, None, None, None, (),
            plan="KIRO_ENTERPRISE_PRO_MAX",
        ),
    ]  # fmt: skip
    plan = read_preview(
        preview(
            step(
                "update",
                "alice",
                plugin_state("Subscription", "u-alice", "Pro"),
                plugin_state("Subscription", "u-alice", "Power"),
            )
        )
    )
    now = datetime(2026, 11, 15, tzinfo=timezone.utc)
    with pytest.raises(ConflictError, match=r"'bob' \(KIRO_ENTERPRISE_PRO_MAX\)"):
        cost_of(_NoBillPlane(subs), "default", plan, now, PriceTable())  # type: ignore[arg-type]
