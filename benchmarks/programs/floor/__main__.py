import pulumi

from benchmarks.noop import declare

declare(pulumi.Config().require_int("count"))
