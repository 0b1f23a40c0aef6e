"""A 10,000-member group is subscribed and re-applied in one batched transaction, fast."""

from __future__ import annotations

import time

from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.ledger import Ledger, LedgerControlPlane, LedgerDirectory

from .support import rows

N = 10_000


def test_subscribing_a_10000_member_group_takes_well_under_two_seconds(
    ledger: Ledger, directory: LedgerDirectory, cp: LedgerControlPlane
) -> None:
    users = directory.add_users([(f"user-{i:05d}", None) for i in range(N)])
    group = directory.add_group("everyone", [u.user_id for u in users])

    started = time.perf_counter()
    subscribed = cp.subscribe_group("default", group.group_id, Tier.PRO_PLUS, owner="s/all")
    first = time.perf_counter() - started
    assert subscribed.member_count == N
    assert first < 2.0, f"subscribe_group took {first:.2f}s"

    for user in users[:100]:
        directory.remove_member("everyone", user.user_id)
    started = time.perf_counter()
    again = cp.subscribe_group("default", group.group_id, Tier.POWER, owner="s/all")
    second = time.perf_counter() - started
    assert again.member_count == N - 100
    assert second < 2.0, f"re-applying took {second:.2f}s"

    leaver = cp.describe_user("default", users[0].user_id)
    assert leaver is not None and leaver.status is Status.CANCELED
    counts = rows(ledger, "SELECT entity, count(*) FROM history GROUP BY entity ORDER BY 1")
    assert dict(counts)["subscription"] == N + (N - 100) + 100  # subscribe, upgrade, cancel
