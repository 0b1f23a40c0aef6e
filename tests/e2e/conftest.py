from __future__ import annotations

import pytest

from tests.e2e.harness import engine_bin


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/e2e drives the real CLI: the slow tier.
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _engine() -> None:
    """Build (or find) the engine once per session, before the first e2e test."""
    engine_bin()
