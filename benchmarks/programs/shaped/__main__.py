import pulumi

from benchmarks.noop import Shaped, declare

declare(pulumi.Config().require_int("count"), Shaped)
