"""Scale: one stack with 2,000 Subscriptions through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from kiro_provider.ledger import LedgerDirectory, open_ledger
from tests.e2e.harness import kiroctl, new_stack

SCALE = Path(__file__).parent / "programs" / "scale"
COUNT = 2_000


def test_two_thousand_subscriptions(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    directory = LedgerDirectory(open_ledger(str(ledger)))
    for i in range(COUNT):
        directory.add_user(f"user-{i:05d}")
    e2e = new_stack(
        SCALE,
        tmp_path,
        config={"count": str(COUNT), "kiro:ledger": str(ledger)},
        # The switch README's "Large organisations" recommends: the state is saved once, at
        # the end of each command, instead of after every step.
        env={"KIRO_LEDGER": str(ledger), "PULUMI_SKIP_CHECKPOINTS": "true"},
    )
    stack = e2e.stack

    up = stack.up(parallel=16)
    assert up.summary.resource_changes == {"create": COUNT + 1}
    stack.preview(refresh=True, expect_no_changes=True, parallel=16)

    per_resource = e2e.state_bytes() / COUNT
    print(f"\nstate file: {e2e.state_bytes():,} bytes, {per_resource:,.0f} bytes per Subscription")
    assert per_resource < 2_048  # the target: <= 2 KB of state per Subscription
    # The state says where the program declared a resource, not where pulumi_kiro built it.
    last = e2e.resource_state(f"user-{COUNT - 1:05d}")
    assert last["sourcePosition"] == "project:///__main__.py#8"
    assert [frame.get("sourcePosition") for frame in last["stackTrace"]] == [
        "project:///__main__.py#8"
    ]

    stack.destroy(parallel=16)
    statuses = {row["status"] for row in json.loads(kiroctl(e2e, "users", "--json").stdout)}
    assert statuses == {"Canceled"}
