"""``kiro.ProfileSettings``."""

from __future__ import annotations

from typing import Any

import pulumi

from kiro_provider.resources import ProfileSettingsProvider
from pulumi_kiro._resource import KiroResource


class ProfileSettings(KiroResource, module="kiro", name="ProfileSettings"):
    """The settings of a Kiro profile. Deleting the resource restores the defaults."""

    def __init__(
        self,
        resource_name: str,
        overages_enabled: pulumi.Input[bool] = False,
        overage_cap: Any = None,
        profile: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Manage the profile's settings.

        :param overages_enabled: Let every user and group of the profile keep working past their
            plan's credits, billed per credit. Off by default; deleting the resource turns it off.
        :param overage_cap: Reserved: Kiro does not support custom overage caps yet, so any value is
            rejected.
        :param profile: Kiro profile to manage (one per AWS account and region). Defaults to the
            stack config `kiro:profile`, else `default`. Changing it replaces the resource.
        """
        inputs = {
            "overages_enabled": overages_enabled,
            "overage_cap": overage_cap,
            "profile": profile,
        }
        super().__init__(ProfileSettingsProvider, resource_name, inputs, opts)

    @property
    @pulumi.getter
    def profile(self) -> pulumi.Output[str]:
        """The Kiro profile managed."""
        return pulumi.get(self, "profile")

    @property
    @pulumi.getter
    def overages_enabled(self) -> pulumi.Output[bool]:
        """Whether users may go past their plan's credits, billed per credit."""
        return pulumi.get(self, "overages_enabled")
