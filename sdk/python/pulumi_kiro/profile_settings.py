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

        :param overages_enabled: allow overages for every user and group of the profile.
        :param overage_cap: not supported by Kiro yet: any value fails the preview.
        :param profile: Kiro profile; defaults to stack config ``kiro:profile``, else ``default``.
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
