"""pulumi-kiro: Kiro enterprise subscriptions as Pulumi resources.

import pulumi_kiro as kiro
kiro.ProfileSettings("settings", overages_enabled=True)
kiro.Subscription("alice", user="alice", tier="Pro+")
kiro.GroupAssignment("eng", group="engineering", tier="Pro")
"""

from pulumi_kiro.group_assignment import GroupAssignment
from pulumi_kiro.profile_settings import ProfileSettings
from pulumi_kiro.subscription import Subscription

__all__ = ["GroupAssignment", "ProfileSettings", "Subscription"]
