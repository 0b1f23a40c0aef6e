"""The organisation program's shape without kiro: ``direct`` no-op Subscriptions and one no-op
GroupAssignment per size in ``groupSizes`` (comma-separated), each with that many members in its
outputs; ``changed`` as in the organisation program."""

import pulumi

from benchmarks.noop import Shaped, ShapedGroup, declare

config = pulumi.Config()
declare(config.require_int("direct"), Shaped, changed=config.get_int("changed") or 0)
tiers = ("Pro", "Pro+", "Power")
sizes = [int(n) for n in (config.get("groupSizes") or "").split(",") if n]
for g, size in enumerate(sizes):
    ShapedGroup(f"group-{g:02d}", group=f"group-{g:02d}", tier=tiers[g % 3], size=size)
