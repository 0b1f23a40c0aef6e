"""An organisation's directory for benchmarks and crash trials: users user-00000... and groups
group-00... whose sizes grow geometrically from the smallest to the largest; each group starts
half-way through the one before it, so neighbours overlap and together they cover every user."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kiro_provider.ledger import LedgerDirectory
from tests.fakes import environment as env

#: The organisation program's tiers, in rotation and in rank order.
TIERS = ("Pro", "Pro+", "Power")


@dataclass(frozen=True)
class Organisation:
    """Who is in the directory, and how the groups overlap."""

    users: int = 10_000
    groups: int = 50
    smallest: int = 10
    largest: int = 2_000

    def group_sizes(self) -> list[int]:
        """Sizes from ``smallest`` to ``largest``, evenly spaced on a log scale."""
        if self.groups == 1:
            return [self.largest]
        step = (self.largest / self.smallest) ** (1 / (self.groups - 1))
        return [round(self.smallest * step**g) for g in range(self.groups)]

    def group_members(self) -> dict[str, list[int]]:
        """Member user indices by group name: each group starts half-way through the previous
        one, wrapping around the users."""
        members: dict[str, list[int]] = {}
        start = 0
        for g, size in enumerate(self.group_sizes()):
            members[f"group-{g:02d}"] = [(start + k) % self.users for k in range(size)]
            start = (start + math.ceil(size / 2)) % self.users
        return members

    def records(self, direct: int) -> int:
        """Users with a subscription once ``direct`` users and every group are subscribed."""
        return len(self.effective_tiers(direct))

    def effective_tiers(self, direct: int) -> dict[str, str]:
        """Each subscribed user's tier once the program's ``direct`` Subscriptions and every
        group's assignment hold: the highest of the user's assignments (tiers in the program's
        rotation, Pro < Pro+ < Power)."""
        rank = {user_name(i): i % 3 for i in range(direct)}
        for g, member_indices in enumerate(self.group_members().values()):
            for i in member_indices:
                rank[user_name(i)] = max(rank.get(user_name(i), 0), g % 3)
        return {name: TIERS[r] for name, r in rank.items()}

    def seed_ledger(self, directory: LedgerDirectory) -> None:
        """The users and groups into a ledger-held directory."""
        directory.add_users([(user_name(i), None) for i in range(self.users)])
        for group, member_indices in self.group_members().items():
            directory.add_group(group, [user_name(i) for i in member_indices])


def user_name(index: int) -> str:
    return f"user-{index:05d}"


def seed_identity_store(organisation: Organisation) -> None:
    """Users and groups straight into moto's backend (this process serves moto_server, and
    seeding is not what is measured)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.identitystore.models import identitystore_backends

    backend: Any = identitystore_backends[DEFAULT_ACCOUNT_ID][env.REGION]
    ids = [_create_user(backend, user_name(i)) for i in range(organisation.users)]
    for group, member_indices in organisation.group_members().items():
        group_id, _ = backend.create_group(env.STORE_ID, group, "benchmark")
        for i in member_indices:
            backend.create_group_membership(env.STORE_ID, group_id, {"UserId": ids[i]})


def _create_user(backend: Any, name: str) -> str:
    user_id, _ = backend.create_user(
        env.STORE_ID, name, {"GivenName": name, "FamilyName": "Bench"}, name, None, None,
        [{"Value": f"{name}@example.com", "Primary": True}], None, None, None, None, None,
        None, None,
    )  # fmt: skip
    return str(user_id)
