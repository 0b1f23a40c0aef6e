"""A 10,000-member group is subscribed and re-applied whole (timed by benchmarks/run)."""

from __future__ import annotations

from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.ledger import Ledger, LedgerControlPlane, LedgerDirectory

from .support import rows

N = 10_000


def test_a_10000_member_group_is_subscribed_and_reapplied_whole(
    ledger: Ledger, directory: LedgerDirectory, cp: LedgerControlPlane
) -> None:
    users = directory.add_users([(f"user-{i:05d}", None) for i in range(N)])
    group = directory.add_group("everyone", [u.user_id for u in users])

    subscribed = cp.subscribe_group("default", group.group_id, Tier.PRO_PLUS, owner="s/all")
    assert subscribed.member_count == N

    for user in users[:100]:
        directory.remove_member("everyone", user.user_id)
    again = cp.subscribe_group("default", group.group_id, Tier.POWER, owner="s/all")
    assert again.member_count == N - 100

    leaver = cp.describe_user("default", users[0].user_id)
    assert leaver is not None and leaver.status is Status.CANCELED
    counts = rows(ledger, "SELECT entity, count(*) FROM history GROUP BY entity ORDER BY 1")
    assert dict(counts)["subscription"] == N + (N - 100) + 100  # subscribe, upgrade, cancel
