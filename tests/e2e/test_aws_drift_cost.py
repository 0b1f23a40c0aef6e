"""What a drift check costs on Kiro's own service: the real CLI's `pulumi preview --refresh` of
200 Subscriptions and 2 GroupAssignments, against the fake Kiro with a real service's manners
(latency, a rate limit answering 429), counted at the fake."""

from __future__ import annotations

import math
from pathlib import Path

from tests.e2e.harness import new_stack
from tests.fakes import environment as env

PROGRAM = Path(__file__).resolve().parent / "programs" / "aws_scale"
SUBSCRIPTIONS = 200
GROUPS = {"group-a": 30, "group-b": 10}
#: Manners of the fake during the drift check: 20 ms a call, 10 calls a second, 20 at once.
MANNERS = {"latency": 0.02, "rate": 10, "burst": 20}


def test_a_drift_check_lists_kiro_once(tmp_path: Path) -> None:
    moto, moto_url = env.start_moto()
    try:
        env.reset_moto(moto_url)  # moto's state is per Python process, not per server
        env.seed_many(moto_url, SUBSCRIPTIONS, GROUPS)
        with env.spawn_fake(moto_url) as fake_url:
            config = {
                **env.stack_config(env.coordinates(moto_url), fake_url),
                "count": str(SUBSCRIPTIONS),
                "groups": ",".join(GROUPS),
            }
            e2e = new_stack(
                PROGRAM,
                tmp_path,
                config=config,
                env={**env.CREDENTIALS, "AWS_ENDPOINT_URL_IDENTITYSTORE": moto_url},
            )
            e2e.stack.up(parallel=16)
            env.control(fake_url, "manners", MANNERS)
            before = env.calls_by_operation(fake_url)

            e2e.stack.preview(refresh=True, expect_no_changes=True, parallel=16)

            after = env.calls_by_operation(fake_url)
            made = {op: after.get(op, 0) - before.get(op, 0) for op in after}
    finally:
        moto.stop()
    listings = sum(made.get(op, 0) for op in env.LISTINGS)
    assert listings <= math.ceil(SUBSCRIPTIONS / 1000) + 4, made
    writes = {op: n for op, n in made.items() if n and "Assignment" in op}
    assert writes == {}, made  # a drift check writes nothing
