import pulumi

from benchmarks.noop import declare

config = pulumi.Config()
declare(config.require_int("count"), changed=config.get_int("changed") or 0)
