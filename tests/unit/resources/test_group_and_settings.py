"""GroupAssignmentProvider and ProfileSettingsProvider, called directly."""

from __future__ import annotations

from typing import Any

from kiro_provider.ledger import LedgerDirectory, open_ledger
from kiro_provider.resources import GroupAssignmentProvider, ProfileSettingsProvider
from tests.unit.resources.conftest import World

groups = GroupAssignmentProvider()
settings = ProfileSettingsProvider()
OWNER = "proj/stack/eng"


def checked_group(**news: Any) -> dict[str, Any]:
    result = groups.check({}, {"owner": OWNER, **news})
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def test_group_assignment_subscribes_members_and_follows_membership(world: World) -> None:
    created = groups.create(checked_group(group="engineering", tier="pro"))
    assert created.outs["member_count"] == 2
    assert [m["user_name"] for m in created.outs["members"]] == ["alice", "carol"]
    assert (
        groups.diff(
            created.id, created.outs, checked_group(group="engineering", tier="Pro")
        ).changes
        is False
    )

    LedgerDirectory(open_ledger(str(world.ledger_path))).add_member("engineering", "bob")
    diff = groups.diff(created.id, created.outs, checked_group(group="engineering", tier="Pro"))
    assert (diff.changes, diff.replaces) == (True, [])
    updated = groups.update(
        created.id, created.outs, checked_group(group="engineering", tier="Pro")
    )
    assert [m["user_name"] for m in updated.outs["members"]] == ["alice", "bob", "carol"]

    read = groups.read(created.id, updated.outs)
    assert read.outs == updated.outs
    groups.delete(created.id, updated.outs)
    assert groups.read(created.id, updated.outs).id is None
    statuses = {u.user.user_name: u.status.value for u in world.console().list_users("default")}
    assert statuses == {"alice": "Canceled", "bob": "Canceled", "carol": "Canceled"}


def test_unknown_group_fails_check(world: World) -> None:
    result = groups.check({}, {"group": "sales", "tier": "Pro", "owner": OWNER})
    assert [f.property for f in result.failures] == ["group"]
    assert "'sales'" in result.failures[0].reason


def test_overage_cap_is_refused(world: World) -> None:
    result = settings.check({}, {"overages_enabled": True, "overage_cap": 500})
    assert [f.property for f in result.failures] == ["overage_cap"]
    assert "not supported by Kiro yet" in result.failures[0].reason


def test_settings_lifecycle_and_delete_restores_defaults(world: World) -> None:
    inputs = settings.check({}, {"overages_enabled": True}).inputs
    created = settings.create(inputs)
    assert created.outs == {"profile": "default", "overages_enabled": True}
    assert settings.read(created.id, created.outs).outs == created.outs
    settings.delete(created.id, created.outs)
    assert world.console().get_settings("default").overages_enabled is False
