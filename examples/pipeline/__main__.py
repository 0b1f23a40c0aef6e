"""The program the pipeline applies: who holds which Kiro plan.

A pull request changes this file (or the stack config); the pipeline posts what the change costs
(`kiroctl cost --markdown`) and refuses one that raises the monthly run rate by more than the
team's limit (`kiroctl cost --max-increase`). run-locally changes the stack config the same way.
"""

import pulumi

import pulumi_kiro as kiro

config = pulumi.Config()

kiro.Subscription("alice", user="alice", tier=config.get("aliceTier") or "Pro+")
kiro.GroupAssignment(
    "engineering", group="engineering", tier=config.get("engineeringTier") or "Pro"
)
