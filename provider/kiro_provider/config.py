"""Where the control plane lives and how to reach it: stack config, environment, flags.

One ``KiroConfig`` is read from the Pulumi stack config (namespace ``kiro``) by the resource
providers and from flags/environment by kiroctl; ``open_control_plane`` turns it into a
ControlPlane. Environment variables mirror the stack config for tools. ``SETTINGS`` below is
the one description of every setting: the package schema's config and the README's table are
generated or checked from it. With ``kiro:controlPlane`` = ``aws`` (experimental, docs/aws.md)
the resources manage Kiro's own service instead of the ledger; users and groups then always
come from IAM Identity Center. The identitystore endpoint is botocore's own
``AWS_ENDPOINT_URL_IDENTITYSTORE``.
"""

from __future__ import annotations

import dataclasses
import os
import re
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
CONTROL_PLANES = ("ledger", "aws")
#: Regions with a Kiro console and profiles.
KIRO_REGIONS = ("us-east-1", "eu-central-1")
#: Families of plan names the aws control plane can write (``kiro:planFamily``).
PLAN_FAMILIES = ("KIRO_ENTERPRISE", "Q_DEVELOPER_STANDALONE")
#: How long one process answers reads from one listing of Kiro, by default (aws control plane).
SNAPSHOT_MAX_AGE_SECONDS = 30.0


@dataclass(frozen=True)
class Setting:
    """One setting: where it is read from and what it means."""

    #: Stack config key (namespace ``kiro``); empty for a setting of the environment only.
    key: str
    #: Environment variable that mirrors it.
    env: str
    #: The ``KiroConfig`` field it sets.
    field: str
    #: The default as documentation shows it (markdown); empty when there is none.
    default: str
    #: What it means (markdown, a sentence without its final period): the one description
    #: the schema and the README show.
    meaning: str
    #: Read by the aws control plane only (its settings are documented in docs/aws.md).
    aws_only: bool = False

    @property
    def description(self) -> str:
        """The whole description: meaning, default and environment variable."""
        text = f"{self.meaning[0].upper()}{self.meaning[1:]}"
        text += " (control plane `aws`)." if self.aws_only else "."
        if self.default:
            text += f" Default: {self.default}."
        return f"{text} Environment: `{self.env}`."


SETTINGS = (
    Setting(
        "kiro:ledger",
        "KIRO_LEDGER",
        "ledger_path",
        "`.kiro/ledger.db` in the project",
        "the embedded ledger file (SQLite); a relative path is taken from the Pulumi project",
    ),
    Setting(
        "kiro:profile",
        "KIRO_PROFILE",
        "profile",
        f"`{DEFAULT_PROFILE}`",
        "the profile a resource or kiroctl manages when it names none",
    ),
    Setting(
        "kiro:directory",
        "KIRO_DIRECTORY",
        "directory",
        "`ledger`",
        "where users and groups come from: `ledger` or `identitycenter`",
    ),
    Setting(
        "kiro:identityStoreId",
        "KIRO_IDENTITY_STORE_ID",
        "identity_store_id",
        "",
        "IAM Identity Center identity store id (directory `identitycenter`, or control plane "
        "`aws`)",
    ),
    Setting(
        "kiro:identityStoreRegion",
        "KIRO_IDENTITY_STORE_REGION",
        "identity_store_region",
        "",
        "the identity store's region",
    ),
    Setting(
        "kiro:controlPlane",
        "KIRO_CONTROL_PLANE",
        "control_plane",
        "`ledger`",
        "`ledger`, or `aws` for a real Kiro profile (experimental; its settings: "
        "[docs/aws.md](docs/aws.md#configuration))",
    ),
    Setting(
        "kiro:kiroRegion",
        "KIRO_REGION",
        "kiro_region",
        "`us-east-1`",
        "the Kiro profile's region: `us-east-1` or `eu-central-1`",
        aws_only=True,
    ),
    Setting(
        "kiro:identityCenterInstanceArn",
        "KIRO_IDENTITY_CENTER_INSTANCE_ARN",
        "instance_arn",
        "",
        "IAM Identity Center instance ARN, as IAM Identity Center > Settings shows it",
        aws_only=True,
    ),
    Setting(
        "kiro:identityCenterRegion",
        "KIRO_IDENTITY_CENTER_REGION",
        "identity_center_region",
        "the identity store's region",
        "IAM Identity Center's region, where subscriptions are stored",
        aws_only=True,
    ),
    Setting(
        "kiro:applicationArn",
        "KIRO_APPLICATION_ARN",
        "application_arn",
        "",
        "ARN of the Kiro application, the `KiroProfile-...` one in IAM Identity Center > "
        "Applications; needed to read assignments",
        aws_only=True,
    ),
    Setting(
        "kiro:qEndpoint",
        "KIRO_Q_ENDPOINT",
        "q_endpoint",
        "",
        "endpoint override of Kiro's assignments service",
        aws_only=True,
    ),
    Setting(
        "kiro:userSubscriptionsEndpoint",
        "KIRO_USER_SUBSCRIPTIONS_ENDPOINT",
        "user_subscriptions_endpoint",
        "",
        "endpoint override of Kiro's subscription listings",
        aws_only=True,
    ),
    Setting(
        "kiro:codewhispererEndpoint",
        "KIRO_CODEWHISPERER_ENDPOINT",
        "codewhisperer_endpoint",
        "",
        "endpoint override of Kiro's profiles service",
        aws_only=True,
    ),
    Setting(
        "kiro:snapshotMaxAge",
        "KIRO_SNAPSHOT_MAX_AGE",
        "snapshot_max_age",
        "`30` (seconds)",
        "how long one process answers reads from one listing of Kiro, in seconds (its own "
        "writes update it at once; `0` lists on every read)",
        aws_only=True,
    ),
    Setting(
        "kiro:planFamily",
        "KIRO_PLAN_FAMILY",
        "plan_family",
        "the first Kiro accepts",
        "which plan names writes use: `KIRO_ENTERPRISE` (`KIRO_ENTERPRISE_PRO`...) or "
        "`Q_DEVELOPER_STANDALONE` (`Q_DEVELOPER_STANDALONE_PRO`...); unset, `KIRO_ENTERPRISE` "
        "is tried first and the other after a ValidationException about the plan name, and the "
        "one that worked is kept for the process",
        aws_only=True,
    ),
    Setting(
        "",
        "KIRO_SIMULATED_NOW",
        "simulated_now",
        "real clock",
        "the control plane's clock, ISO-8601 (try month ends)",
    ),
)

#: The settings of the stack config (every one but those of the environment only).
STACK_SETTINGS = tuple(s for s in SETTINGS if s.key)
#: Every stack config key the providers read (namespace ``kiro``).
STACK_CONFIG_KEYS = tuple(s.key for s in STACK_SETTINGS)
#: Every environment variable ``load_config`` reads.
ENVIRONMENT_VARIABLES = tuple(s.env for s in SETTINGS)
#: The environment variable that mirrors each stack config key (what kiroctl reads instead).
ENVIRONMENT_BY_KEY = {s.key: s.env for s in STACK_SETTINGS}

# An IAM Identity Center instance ARN and a Kiro application ARN (aws, aws-cn, aws-us-gov...).
_INSTANCE_ARN = re.compile(r"arn:aws[a-z-]*:sso:::instance/(sso)?ins-[0-9a-zA-Z.-]{1,64}")
_APPLICATION_ARN = re.compile(
    r"arn:aws[a-z-]*:sso::\d{12}:application/(sso)?ins-[0-9a-zA-Z.-]{1,64}/apl-[0-9a-zA-Z.-]{1,64}"
)
_ENDPOINT = re.compile(r"https?://[^\s/]+(/\S*)?")


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
    #: Which control plane: ``ledger`` (ours, the default) or ``aws`` (Kiro's own service).
    control_plane: str = "ledger"
    #: The Kiro profile's region (aws control plane).
    kiro_region: str = KIRO_REGIONS[0]
    #: IAM Identity Center instance ARN and region (aws control plane).
    instance_arn: str | None = None
    identity_center_region: str | None = None
    #: The Kiro application's ARN in IAM Identity Center (aws control plane, to read assignments).
    application_arn: str | None = None
    #: Endpoint overrides of Kiro's three services (tests, VPC endpoints); None: the public ones.
    q_endpoint: str | None = None
    user_subscriptions_endpoint: str | None = None
    codewhisperer_endpoint: str | None = None
    #: Seconds a listing of Kiro answers reads within one process (aws control plane).
    snapshot_max_age: float = SNAPSHOT_MAX_AGE_SECONDS
    #: The plan-name family writes use (aws control plane); None: the first Kiro accepts.
    plan_family: str | None = None

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
    for setting in STACK_SETTINGS:
        value = (
            (overrides or {}).get(setting.field)
            or stack_config.get(setting.key)
            or env.get(setting.env)
        )
        if value:
            values[setting.field] = value
    directory = values.get("directory", "ledger")
    if directory not in DIRECTORIES:
        raise ValidationError(
            f"directory: {directory!r} is not a directory kind; expected one of "
            f"{', '.join(DIRECTORIES)}",
            field="directory",
        )
    _check_aws_values(values)
    now_text = (overrides or {}).get("simulated_now") or env.get("KIRO_SIMULATED_NOW")
    ledger = Path(values.pop("ledger_path", str(DEFAULT_LEDGER))).expanduser()
    if not ledger.is_absolute():
        ledger = Path(base_dir or os.getcwd()) / ledger
    max_age = values.pop("snapshot_max_age", None)
    return KiroConfig(
        ledger_path=str(ledger),
        simulated_now=parse_instant(now_text) if now_text else None,
        snapshot_max_age=_seconds(max_age, "kiro:snapshotMaxAge")
        if max_age
        else SNAPSHOT_MAX_AGE_SECONDS,
        **values,
    )


def _seconds(value: str, key: str) -> float:
    """A number of seconds, 0 or more (a setting's text)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ValidationError(
            f"{key}: {value!r} is not valid; expected a number of seconds, 0 or more (e.g. 30)",
            field=key,
        )
    return seconds


def _check_aws_values(values: dict[str, str]) -> None:
    """Reject a malformed aws setting at load time, naming its key, the value and what is
    valid (the rest of the aws settings are checked when the aws control plane is opened)."""
    _one_of(values, "control_plane", "kiro:controlPlane", CONTROL_PLANES)
    _one_of(values, "kiro_region", "kiro:kiroRegion", KIRO_REGIONS)
    _one_of(values, "plan_family", "kiro:planFamily", PLAN_FAMILIES)
    _matches(
        values,
        "instance_arn",
        "kiro:identityCenterInstanceArn",
        _INSTANCE_ARN,
        "arn:aws:sso:::instance/ssoins-0123456789abcdef",
    )
    _matches(
        values,
        "application_arn",
        "kiro:applicationArn",
        _APPLICATION_ARN,
        "arn:aws:sso::123456789012:application/ssoins-0123456789abcdef/apl-0123456789abcdef",
    )
    for name, key in (
        ("q_endpoint", "kiro:qEndpoint"),
        ("user_subscriptions_endpoint", "kiro:userSubscriptionsEndpoint"),
        ("codewhisperer_endpoint", "kiro:codewhispererEndpoint"),
    ):
        _matches(values, name, key, _ENDPOINT, "https://codewhisperer.us-east-1.amazonaws.com")


def _one_of(values: dict[str, str], name: str, key: str, valid: tuple[str, ...]) -> None:
    value = values.get(name)
    if value is not None and value not in valid:
        raise ValidationError(
            f"{key}: {value!r} is not valid; expected one of {', '.join(valid)}", field=key
        )


def _matches(
    values: dict[str, str], name: str, key: str, pattern: re.Pattern[str], example: str
) -> None:
    value = values.get(name)
    if value is not None and not pattern.fullmatch(value.strip()):
        raise ValidationError(f"{key}: {value!r} is not valid; expected e.g. {example}", field=key)


def open_control_plane(config: KiroConfig, *, actor: str) -> ControlPlane:
    """The control plane that ``config`` describes, acting as ``actor`` in the history."""
    if config.control_plane == "aws":
        return open_aws_control_plane(config, actor=actor)
    from kiro_provider.ledger import LedgerControlPlane, open_ledger

    ledger = open_ledger(config.ledger_path)
    return LedgerControlPlane(ledger, open_directory(config, ledger), config.clock(), actor=actor)


def open_aws_control_plane(config: KiroConfig, *, actor: str) -> ControlPlane:
    """Kiro's own service (experimental): needs the Identity Center instance and identity
    store; users and groups come from IAM Identity Center whatever ``kiro:directory`` says."""
    from kiro_provider.aws import AwsControlPlane, KiroService
    from kiro_provider.directory.identitycenter import IdentityCenterDirectory

    missing = [
        key
        for key, value in (
            ("kiro:identityCenterInstanceArn", config.instance_arn),
            ("kiro:identityStoreId", config.identity_store_id),
            ("kiro:identityStoreRegion", config.identity_store_region),
        )
        if not value
    ]
    if missing:
        raise ValidationError(
            f"controlPlane: aws needs {', '.join(missing)} (IAM Identity Center > Settings shows "
            "the instance ARN, identity store id and region); see docs/aws.md",
            field="controlPlane",
        )
    assert config.instance_arn and config.identity_store_id and config.identity_store_region
    service = KiroService(
        kiro_region=config.kiro_region,
        identity_center_region=config.identity_center_region or config.identity_store_region,
        instance_arn=config.instance_arn.strip(),
        application_arn=config.application_arn.strip() if config.application_arn else None,
        q_endpoint=config.q_endpoint,
        user_subscriptions_endpoint=config.user_subscriptions_endpoint,
        codewhisperer_endpoint=config.codewhisperer_endpoint,
    )
    directory = IdentityCenterDirectory(config.identity_store_id, config.identity_store_region)
    return AwsControlPlane(
        service,
        directory,
        config.clock(),
        actor=actor,
        snapshot_max_age=config.snapshot_max_age,
        plan_family=config.plan_family,
    )


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


def stack_config(config: KiroConfig) -> dict[str, str]:
    """The ``kiro:*`` stack config that makes a Pulumi program reach what ``config`` reaches:
    every setting that differs from its default, in the order of the table above. The ledger
    is named whenever the ledger is the control plane (a program's default ledger lives in its
    own project directory, so it is never the same file); the clock is not stack config."""
    defaults = {f.name: f.default for f in dataclasses.fields(KiroConfig)}
    found: dict[str, str] = {}
    for setting in SETTINGS:
        if not setting.key:  # the environment's alone (the clock)
            continue
        name, value = setting.field, getattr(config, setting.field)
        needed = name == "ledger_path" and config.control_plane == "ledger"
        if value is not None and (needed or (name != "ledger_path" and value != defaults[name])):
            found[setting.key] = str(value)
    return found
