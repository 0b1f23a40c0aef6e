"""``kiro.Subscription``."""

from __future__ import annotations

from typing import Any

import pulumi

from kiro_provider.resources import SubscriptionProvider
from pulumi_kiro._resource import KiroResource


class Subscription(KiroResource, module="kiro", name="Subscription"):
    """One user's direct Kiro subscription in a profile.

    An upgrade takes effect at once; a downgrade is scheduled for 00:00 UTC on the 1st of next
    month (``pending_tier`` / ``pending_effective_at``) and is not drift. A user subscribed
    directly and through groups holds one subscription at the highest tier.
    """

    def __init__(
        self,
        resource_name: str,
        user: pulumi.Input[str],
        tier: pulumi.Input[str],
        profile: pulumi.Input[str] | None = None,
        adopt: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Subscribe ``user`` at ``tier``.

        :param user: The user to subscribe: IAM Identity Center user id, user name or email. Naming
            the same person another way is no change; another person replaces the resource.
        :param tier: The plan: `Pro`, `Pro+` or `Power` (any case; `PRO_PLUS` works). An upgrade
            takes effect at once, a downgrade at 00:00 UTC on the 1st of next month.
        :param profile: Kiro profile to manage (one per AWS account and region). Defaults to the
            stack config `kiro:profile`, else `default`. Changing it replaces the resource.
        :param adopt: Take over an assignment that already exists and is managed by no other
            resource (made in the console or with kiroctl) instead of failing.
        """
        inputs: dict[str, Any] = {"user": user, "tier": tier, "profile": profile, "adopt": adopt}
        super().__init__(SubscriptionProvider, resource_name, inputs, opts)

    @property
    @pulumi.getter
    def user(self) -> pulumi.Output[str]:
        """The user as declared (user id, user name or email)."""
        return pulumi.get(self, "user")

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
    def user_id(self) -> pulumi.Output[str]:
        """Canonical IAM Identity Center user id."""
        return pulumi.get(self, "user_id")

    @property
    @pulumi.getter
    def user_name(self) -> pulumi.Output[str]:
        """The user's name in the directory."""
        return pulumi.get(self, "user_name")

    @property
    @pulumi.getter
    def subscription_id(self) -> pulumi.Output[str]:
        """Stable id of the subscription record."""
        return pulumi.get(self, "subscription_id")

    @property
    @pulumi.getter
    def status(self) -> pulumi.Output[str]:
        """``Pending`` (not activated yet, not charged), ``Active`` or ``Canceled``."""
        return pulumi.get(self, "status")

    @property
    @pulumi.getter
    def effective_tier(self) -> pulumi.Output[str]:
        """The tier in force now (the highest over every assignment once upgrades apply)."""
        return pulumi.get(self, "effective_tier")

    @property
    @pulumi.getter
    def pending_tier(self) -> pulumi.Output[str | None]:
        """A scheduled downgrade, if any."""
        return pulumi.get(self, "pending_tier")

    @property
    @pulumi.getter
    def pending_effective_at(self) -> pulumi.Output[str | None]:
        """When the downgrade takes effect (ISO-8601 UTC), if any."""
        return pulumi.get(self, "pending_effective_at")

    @property
    @pulumi.getter
    def credits(self) -> pulumi.Output[int]:
        """Monthly credits of the effective tier."""
        return pulumi.get(self, "credits")
