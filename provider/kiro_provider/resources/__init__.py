"""The resource providers, one per resource type. Registration only: no logic here."""

from kiro_provider.resources.group_assignment import GroupAssignmentProvider
from kiro_provider.resources.profile_settings import ProfileSettingsProvider
from kiro_provider.resources.subscription import SubscriptionProvider

__all__ = ["GroupAssignmentProvider", "ProfileSettingsProvider", "SubscriptionProvider"]
