"""pulumi-kiro quickstart: profile settings, two users and a group, on the embedded defaults.

The directory (users alice, bob, carol, dave; group engineering) is seeded by
`scripts/quickstart` with kiroctl. Tiers can be changed from stack config to try the rules:
`pulumi config set aliceTier Pro` schedules a downgrade for the 1st of next month.
"""

import pulumi

import pulumi_kiro as kiro

config = pulumi.Config()

settings = kiro.ProfileSettings("settings", overages_enabled=config.get_bool("overages") or False)
alice = kiro.Subscription("alice", user="alice", tier=config.get("aliceTier") or "Pro+")
bob = kiro.Subscription("bob", user="bob@example.com", tier=config.get("bobTier") or "Pro")
engineering = kiro.GroupAssignment(
    "engineering", group="engineering", tier=config.get("engineeringTier") or "Pro"
)

for name, subscription in (("alice", alice), ("bob", bob)):
    pulumi.export(
        name,
        {
            "status": subscription.status,
            "tier": subscription.tier,
            "effective_tier": subscription.effective_tier,
            "pending_tier": subscription.pending_tier,
            "pending_effective_at": subscription.pending_effective_at,
            "credits": subscription.credits,
        },
    )
pulumi.export("engineering_members", engineering.members)
pulumi.export("overages_enabled", settings.overages_enabled)
