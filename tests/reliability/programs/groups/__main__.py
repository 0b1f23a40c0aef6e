import pulumi

import pulumi_kiro as kiro

config = pulumi.Config()
tier = config.require("tier")
for group in config.require("groups").split(","):
    kiro.GroupAssignment(group, group=group, tier=tier)
for user in filter(None, (config.get("users") or "").split(",")):
    kiro.Subscription(user, user=user, tier=tier)
