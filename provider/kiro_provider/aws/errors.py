"""AWS errors translated once, at the edge, into the KiroError tree with clear messages."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from kiro_provider.directory.identitycenter import IDENTITY_STORE_ACTIONS
from kiro_provider.errors import ConflictError, KiroError, NotFoundError, ValidationError

#: Every IAM action the AWS control plane calls (quoted in access errors; docs/aws.md has the
#: policy): Kiro's own, then those of the IAM Identity Center directory it reads users from.
REQUIRED_ACTIONS = (
    "q:CreateAssignment",
    "q:UpdateAssignment",
    "q:DeleteAssignment",
    "user-subscriptions:ListUserSubscriptions",
    "user-subscriptions:ListApplicationClaims",
    "codewhisperer:ListProfiles",
    "codewhisperer:UpdateProfile",
    *IDENTITY_STORE_ACTIONS,
)

#: Actions pulumi-kiro never calls but Kiro's own admin policy grants (kiro.dev, enterprise IAM):
#: Kiro checks them on the caller's behalf when an assignment or an overage setting changes
#: (a public caller reports CreateAssignment cascading into sso and user-subscriptions checks).
ACTIONS_KIRO_CHECKS = (
    "sso:*Application*",
    "user-subscriptions:CreateClaim",
    "user-subscriptions:UpdateClaim",
    "user-subscriptions:DeleteClaim",
    "user-subscriptions:ListClaims",
    "user-subscriptions:SetOverageConfig",
)


class AccessDeniedError(KiroError):
    """Kiro refused the caller: Kiro not enabled in the account and region, or IAM denies it."""

    code = "AccessDenied"


class ServiceError(KiroError):
    """Kiro failed (throttled or 5xx past every retry, unreachable, no credentials)."""

    code = "ServiceError"


class NotSupportedError(KiroError):
    """The operation exists in the ledger control plane but Kiro offers no API for it."""

    code = "NotSupported"


def translate(err: ClientError | BotoCoreError, operation: str, what: str) -> KiroError:
    """The KiroError for a failed call of ``operation`` about ``what`` (e.g. "user alice")."""
    if isinstance(err, NoCredentialsError):
        return ServiceError(
            f"Kiro {operation} for {what}: no AWS credentials found; configure them as for the "
            "AWS CLI (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO or a role)"
        )
    if not isinstance(err, ClientError):
        return ServiceError(f"Kiro {operation} for {what} failed: {err}")
    code = str(err.response.get("Error", {}).get("Code", ""))
    message = str(err.response.get("Error", {}).get("Message", "") or code)
    status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code == "AccessDeniedException":
        return AccessDeniedError(
            f"Kiro denied {operation} for {what}: {message}. Either Kiro is not set up in this "
            "account and region (open the Kiro console once and create the profile), or the "
            "caller lacks permission: it needs " + ", ".join(REQUIRED_ACTIONS) + ", and, "
            "checked by Kiro on its behalf, " + ", ".join(ACTIONS_KIRO_CHECKS) + "."
        )
    if code == "ConflictException":
        return ConflictError(f"Kiro refused {operation} for {what}: {message}")
    if code == "ResourceNotFoundException":
        return NotFoundError(
            f"Kiro {operation} for {what}: {message}: no Kiro profile or subscription there; "
            "check kiro:kiroRegion, kiro:identityCenterInstanceArn and kiro:applicationArn",
            field="profile",
        )
    if code == "ValidationException":
        return _validation(err.response, operation, what, message)
    if code in ("ThrottlingException", "TooManyRequestsException") or status == 429:
        return ServiceError(f"Kiro throttled {operation} for {what} past every retry: {message}")
    return ServiceError(
        f"Kiro {operation} for {what} failed ({code or 'HTTP ' + str(status)}): {message}"
    )


def _validation(response: dict[str, Any], operation: str, what: str, message: str) -> KiroError:
    fields = response.get("fieldList") or []
    names = [str(f.get("name")) for f in fields if isinstance(f, dict) and f.get("name")]
    detail = "; ".join(
        f"{f.get('name')}: {f.get('message')}" for f in fields if isinstance(f, dict)
    )
    text = f"Kiro rejected {operation} for {what}: {message}"
    if detail:
        text += f" ({detail})"
    return ValidationError(text, field=names[0] if names else None)
