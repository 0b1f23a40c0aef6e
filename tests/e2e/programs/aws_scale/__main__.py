"""``count`` Subscriptions of users user-00000... and one GroupAssignment per name in the
comma-separated ``groups``, managed through the aws control plane (stack config)."""

import pulumi

import pulumi_kiro as kiro

config = pulumi.Config()
tiers = ("Pro", "Pro+", "Power")
for i in range(config.require_int("count")):
    kiro.Subscription(f"user-{i:05d}", user=f"user-{i:05d}", tier=tiers[i % 3])
for name in filter(None, (config.get("groups") or "").split(",")):
    kiro.GroupAssignment(name, group=name, tier="Pro")
