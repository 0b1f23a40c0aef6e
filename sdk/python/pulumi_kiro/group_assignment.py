"""``kiro.GroupAssignment``."""

from __future__ import annotations

from typing import Any

import pulumi

from kiro_provider.resources import GroupAssignmentProvider
from pulumi_kiro._resource import KiroResource


class GroupAssignment(KiroResource, module="kiro", name="GroupAssignment"):
    """Subscribe every member of a directory group at one tier.

    Kiro has no group subscription: each member holds their own, at the highest tier over all
    their assignments. Members added to the group later are subscribed on the next
    ``pulumi up``; members who leave lose this assignment.
    """

    def __init__(
        self,
        resource_name: str,
        group: pulumi.Input[str],
        tier: pulumi.Input[str],
        profile: pulumi.Input[str] | None = None,
        adopt: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Subscribe every member of ``group`` at ``tier``.

        :param group: The group whose members to subscribe: IAM Identity Center group id or display
            name. Members added later are subscribed on the next `pulumi up`.
        :param tier: The plan for every member: `Pro`, `Pro+` or `Power`. A user subscribed several
            ways holds one subscription at the highest tier assigned.
        :param profile: Kiro profile to manage (one per AWS account and region). Defaults to the
            stack config `kiro:profile`, else `default`. Changing it replaces the resource.
        :param adopt: Take over an assignment that already exists and is managed by no other
            resource (made in the console or with kiroctl) instead of failing.
        """
        inputs: dict[str, Any] = {"group": group, "tier": tier, "profile": profile, "adopt": adopt}
        super().__init__(GroupAssignmentProvider, resource_name, inputs, opts)

    @property
    @pulumi.getter
    def group(self) -> pulumi.Output[str]:
        """The group as declared (group id or display name)."""
        return pulumi.get(self, "group")

    @property
    @pulumi.getter
    def tier(self) -> pulumi.Output[str]:
        """The declared plan, canonical: ``Pro``, ``Pro+`` or ``Power``."""
        return pulumi.get(self, "tier")

    @property
    @pulumi.getter
    def profile(self) -> pulumi.Output[str]:
        """The Kiro profile managed."""
        return pulumi.get(self, "profile")

    @property
    @pulumi.getter
    def group_id(self) -> pulumi.Output[str]:
        """Canonical IAM Identity Center group id."""
        return pulumi.get(self, "group_id")

    @property
    @pulumi.getter
    def group_name(self) -> pulumi.Output[str]:
        """The group's display name."""
        return pulumi.get(self, "group_name")

    @property
    @pulumi.getter
    def member_count(self) -> pulumi.Output[int]:
        """How many members hold an assignment from this group."""
        return pulumi.get(self, "member_count")

    @property
    @pulumi.getter
    def members(self) -> pulumi.Output[list[dict[str, Any]]]:
        """Each member: ``user_id``, ``user_name``, ``status``, ``effective_tier``."""
        return pulumi.get(self, "members")
