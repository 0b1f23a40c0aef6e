"""The local AWS (moto_server and the fake Kiro service) for the adapter's tests."""

from tests.fakes.fixtures import cp, fake, moto_url, seeded

__all__ = ["cp", "fake", "moto_url", "seeded"]
