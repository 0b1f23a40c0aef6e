"""Where the control plane lives and how to reach it: stack config, environment, flags.

One ``KiroConfig`` is read from the Pulumi stack config (namespace ``kiro``) by the resource
providers and from flags/environment by kiroctl; ``open_control_plane`` turns it into a
ControlPlane. Environment variables mirror the stack config for tools:

=======================  ==========================  =========================================
stack config             environment                 meaning
=======================  ==========================  =========================================
kiro:ledger              KIRO_LEDGER                 path of the embedded ledger
kiro:profile             KIRO_PROFILE                default profile (``default``)
kiro:directory           KIRO_DIRECTORY              ``ledger`` (default) or ``identitycenter``
kiro:identityStoreId     KIRO_IDENTITY_STORE_ID      IAM Identity Center identity store id
kiro:identityStoreRegion KIRO_IDENTITY_STORE_REGION  its region
(none)                   KIRO_SIMULATED_NOW          the control plane's clock, ISO-8601
=======================  ==========================  =========================================
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from kiro_provider.controlplane import DEFAULT_PROFILE
from kiro_provider.errors import ValidationError

if TYPE_CHECKING:
    from kiro_provider.controlplane import ControlPlane
    from kiro_provider.directory import Directory
    from kiro_provider.ledger import Ledger

DEFAULT_LEDGER = Path(".kiro") / "ledger.db"
DIRECTORIES = ("ledger", "identitycenter")

# (stack config key, environment variable, KiroConfig field)
_SETTINGS = (
    ("kiro:ledger", "KIRO_LEDGER", "ledger_path"),
    ("kiro:profile", "KIRO_PROFILE", "profile"),
    ("kiro:directory", "KIRO_DIRECTORY", "directory"),
    ("kiro:identityStoreId", "KIRO_IDENTITY_STORE_ID", "identity_store_id"),
    ("kiro:identityStoreRegion", "KIRO_IDENTITY_STORE_REGION", "identity_store_region"),
)


@dataclass(frozen=True)
class KiroConfig:
    """Everything needed to open the control plane. Plain data: safe to pickle."""

    #: Absolute path of the embedded ledger file.
    ledger_path: str
    #: Profile used when a resource or command names none.
    profile: str = DEFAULT_PROFILE
    #: Where users and groups come from: ``ledger`` or ``identitycenter``.
    directory: str = "ledger"
    identity_store_id: str | None = None
    identity_store_region: str | None = None
    #: A fixed clock (to try month ends); None means the real UTC clock.
    simulated_now: datetime | None = None

    def clock(self) -> Callable[[], datetime]:
        """The control plane's clock: the simulated instant if set, else real UTC time."""
        fixed = self.simulated_now
        if fixed is not None:
            return lambda: fixed
        return lambda: datetime.now(timezone.utc)


def parse_instant(value: str, *, field: str = "now") -> datetime:
    """Parse an ISO-8601 instant; a naive one is taken as UTC."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{field}: {value!r} is not an ISO-8601 time; expected e.g. 2026-12-01T00:00:00Z",
            field=field,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def load_config(
    stack_config: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> KiroConfig:
    """Read the configuration: ``overrides`` (flags) win over stack config, which wins over the
    environment, which wins over the defaults. A relative ledger path is taken from ``base_dir``
    (the Pulumi project directory, or the current directory)."""
    stack_config = stack_config or {}
    env = os.environ if env is None else env
    values: dict[str, str] = {}
    for key, var, name in _SETTINGS:
        value = (overrides or {}).get(name) or stack_config.get(key) or env.get(var)
        if value:
            values[name] = value
    directory = values.get("directory", "ledger")
    if directory not in DIRECTORIES:
        raise ValidationError(
            f"directory: {directory!r} is not a directory kind; expected one of "
            f"{', '.join(DIRECTORIES)}",
            field="directory",
        )
    now_text = (overrides or {}).get("simulated_now") or env.get("KIRO_SIMULATED_NOW")
    ledger = Path(values.pop("ledger_path", str(DEFAULT_LEDGER))).expanduser()
    if not ledger.is_absolute():
        ledger = Path(base_dir or os.getcwd()) / ledger
    return KiroConfig(
        ledger_path=str(ledger),
        simulated_now=parse_instant(now_text) if now_text else None,
        **values,
    )


def open_control_plane(config: KiroConfig, *, actor: str) -> ControlPlane:
    """The control plane that ``config`` describes, acting as ``actor`` in the history."""
    from kiro_provider.ledger import LedgerControlPlane, open_ledger

    ledger = open_ledger(config.ledger_path)
    return LedgerControlPlane(ledger, open_directory(config, ledger), config.clock(), actor=actor)


def open_directory(config: KiroConfig, ledger: Ledger) -> Directory:
    """The directory adapter that ``config`` names."""
    if config.directory == "identitycenter":
        from kiro_provider.directory.identitycenter import IdentityCenterDirectory

        if not config.identity_store_id or not config.identity_store_region:
            raise ValidationError(
                "directory: identitycenter needs kiro:identityStoreId and "
                "kiro:identityStoreRegion (or KIRO_IDENTITY_STORE_ID / KIRO_IDENTITY_STORE_REGION)",
                field="directory",
            )
        return IdentityCenterDirectory(config.identity_store_id, config.identity_store_region)
    from kiro_provider.ledger import LedgerDirectory

    return LedgerDirectory(ledger)
