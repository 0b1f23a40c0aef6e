"""``kiro.Subscription``."""

from __future__ import annotations

from typing import Any

import pulumi

from kiro_provider.resources import SubscriptionProvider
from pulumi_kiro._resource import KiroResource

_OUTPUTS = (
    "user_id",
    "user_name",
    "subscription_id",
    "status",
    "effective_tier",
    "pending_tier",
    "pending_effective_at",
    "credits",
)


class Subscription(KiroResource, module="kiro", name="Subscription"):
    """One user's direct Kiro subscription in a profile.

    An upgrade takes effect at once; a downgrade is scheduled for 00:00 UTC on the 1st of next
    month (``pending_tier`` / ``pending_effective_at``) and is not drift. A user subscribed
    directly and through groups holds one subscription at the highest tier.
    """

    user: pulumi.Output[str]
    """The user as declared (user id, user name or email)."""
    tier: pulumi.Output[str]
    """The declared plan, canonical: ``Pro``, ``Pro+`` or ``Power``."""
    profile: pulumi.Output[str]
    """The Kiro profile managed."""
    user_id: pulumi.Output[str]
    """Canonical IAM Identity Center user id."""
    user_name: pulumi.Output[str]
    """The user's name in the directory."""
    subscription_id: pulumi.Output[str]
    """Stable id of the subscription record."""
    status: pulumi.Output[str]
    """``Pending`` (not activated yet, not charged), ``Active`` or ``Canceled``."""
    effective_tier: pulumi.Output[str]
    """The tier in force now (the highest over every assignment once upgrades apply)."""
    pending_tier: pulumi.Output[str | None]
    """A scheduled downgrade, if any."""
    pending_effective_at: pulumi.Output[str | None]
    """When the downgrade takes effect (ISO-8601 UTC), if any."""
    credits: pulumi.Output[int]
    """Monthly credits of the effective tier."""

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

        :param user: IAM Identity Center user id, user name or email (may be an Output).
        :param tier: ``Pro``, ``Pro+`` or ``Power``, any case (``PRO_PLUS`` works).
        :param profile: Kiro profile; defaults to stack config ``kiro:profile``, else ``default``.
        :param adopt: take over a subscription made outside Pulumi instead of failing.
        """
        inputs: dict[str, Any] = {"user": user, "tier": tier, "profile": profile, "adopt": adopt}
        super().__init__(SubscriptionProvider(), resource_name, inputs, _OUTPUTS, opts)
