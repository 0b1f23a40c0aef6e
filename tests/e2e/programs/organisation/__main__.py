"""An organisation in one stack: ``direct`` Subscriptions of users user-00000... and one
GroupAssignment of each of ``groups`` groups group-00... (tiers in rotation). ``changed`` moves
the first that many Subscriptions one tier along the rotation (Pro -> Pro+ -> Power -> Pro: two
upgrades in three, and one downgrade that is scheduled for the 1st)."""

import pulumi

import pulumi_kiro as kiro

config = pulumi.Config()
tiers = ("Pro", "Pro+", "Power")
changed = config.get_int("changed") or 0
for i in range(config.require_int("direct")):
    tier = tiers[(i + (i < changed)) % 3]
    kiro.Subscription(f"user-{i:05d}", user=f"user-{i:05d}", tier=tier)
for g in range(config.require_int("groups")):
    kiro.GroupAssignment(f"group-{g:02d}", group=f"group-{g:02d}", tier=tiers[g % 3])
