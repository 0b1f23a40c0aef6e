"""Settings, two users and a group, managed through the aws control plane (stack config
``kiro:controlPlane=aws``). Tiers come from stack config so the test can change them."""

import pulumi

import pulumi_kiro as kiro

config = pulumi.Config()

settings = kiro.ProfileSettings("settings", overages_enabled=config.get_bool("overages") or False)
alice = kiro.Subscription("alice", user="alice", tier=config.get("aliceTier") or "Pro+")
bob = kiro.Subscription("bob", user="bob@example.com", tier="Pro")
engineering = kiro.GroupAssignment("engineering", group="engineering", tier="Pro")
if config.get("daveTier"):
    dave = kiro.Subscription("dave", user="dave", tier=config.get("daveTier"))
    pulumi.export("dave", dave.status)

pulumi.export(
    "alice",
    {
        "status": alice.status,
        "tier": alice.tier,
        "effective_tier": alice.effective_tier,
        "pending_tier": alice.pending_tier,
        "pending_effective_at": alice.pending_effective_at,
    },
)
pulumi.export("engineering_members", engineering.members)
pulumi.export("overages_enabled", settings.overages_enabled)
