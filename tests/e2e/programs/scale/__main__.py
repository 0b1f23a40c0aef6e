import pulumi

import pulumi_kiro as kiro

count = pulumi.Config().require_int("count")
tiers = ("Pro", "Pro+", "Power")
for i in range(count):
    kiro.Subscription(f"user-{i:05d}", user=f"user-{i:05d}", tier=tiers[i % 3])
