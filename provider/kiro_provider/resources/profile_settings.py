"""``kiro.ProfileSettings``: the settings of one Kiro profile (R8).

Settings always exist (with defaults), so create and update both write them, and delete writes
the defaults back: overages off.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from kiro_provider.controlplane import ProfileSettings
from kiro_provider.errors import KiroError, NotFoundError
from kiro_provider.resources.args import ProfileSettingsArgs
from kiro_provider.resources.base import (
    KiroResourceProvider,
    checked,
    control_plane,
    current_config,
    parse_args,
    read_result,
    translate,
)
from kiro_provider.resources.outputs import changed_keys, resolve_profile


class ProfileSettingsProvider(KiroResourceProvider):
    """Lifecycle of ``kiro.ProfileSettings`` over the control plane."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        args, failures = parse_args(ProfileSettingsArgs, news)
        if args is None:
            return CheckResult(news, failures)
        return checked(
            lambda: {
                "profile": resolve_profile(
                    control_plane(None), args.profile, current_config().profile
                ),
                "overages_enabled": args.overages_enabled,
            }
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = changed_keys(olds, news, ("profile",))
        changes = changed_keys(olds, news, ("overages_enabled",))
        return DiffResult(
            changes=bool(replaces or changes), replaces=replaces, delete_before_replace=True
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        settings = _write(props["profile"], bool(props["overages_enabled"]))
        return CreateResult(settings.profile, outputs(settings))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outputs(_write(news["profile"], bool(news["overages_enabled"]))))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            settings = control_plane(None).get_settings(props["profile"])
        except NotFoundError:
            return ReadResult(None, {})  # the profile itself is gone
        live = outputs(settings)
        return read_result(id_, live, dict(live))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            control_plane(None).update_settings(props["profile"], overages_enabled=False)
        except NotFoundError:
            pass  # the profile itself is gone: nothing to restore
        except KiroError as exc:
            raise translate(exc) from None


def _write(profile: str, overages_enabled: bool) -> ProfileSettings:
    try:
        return control_plane(None).update_settings(profile, overages_enabled=overages_enabled)
    except KiroError as exc:
        raise translate(exc) from None


def outputs(settings: ProfileSettings) -> dict[str, Any]:
    """Every output of ProfileSettings."""
    return {"profile": settings.profile, "overages_enabled": settings.overages_enabled}
