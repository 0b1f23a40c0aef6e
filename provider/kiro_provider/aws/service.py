"""``KiroService``: the seven calls of Kiro's private API that the control plane makes.

Only this module calls botocore; it pages through listings and translates every error once
(``kiro_provider.aws.errors.translate``). It returns Kiro's records as parsed JSON
(``kiro_provider.aws.wire`` maps them). Plain data: safe to pickle, no client held.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from kiro_provider.aws import clients
from kiro_provider.aws.errors import translate

#: Page size of ListUserSubscriptions (the service accepts 100-1000).
SUBSCRIPTIONS_PAGE = 1000
#: Page size of ListApplicationClaims and ListProfiles.
CLAIMS_PAGE = 100
#: At most this many calls to Kiro at once from one process (public callers run 5 workers at
#: most against its rate limits); the engine's four worker threads fit.
MAX_CONCURRENT_CALLS = 4
_in_flight = threading.BoundedSemaphore(MAX_CONCURRENT_CALLS)


@dataclass(frozen=True)
class KiroService:
    """Where Kiro's three services are and which Identity Center instance they serve."""

    #: The Kiro profile's region (us-east-1 or eu-central-1).
    kiro_region: str
    #: The IAM Identity Center region (where subscriptions are stored).
    identity_center_region: str
    #: The IAM Identity Center instance ARN (``arn:aws:sso:::instance/ssoins-...``).
    instance_arn: str
    #: The Kiro application's ARN in IAM Identity Center (lists assignments); None if unknown.
    application_arn: str | None = None
    q_endpoint: str | None = None
    user_subscriptions_endpoint: str | None = None
    codewhisperer_endpoint: str | None = None

    # -- assignments (AmazonQDeveloperService, signed "q", in the Kiro region) -----------------

    def create_assignment(
        self, principal_id: str, principal_type: str, plan: str, what: str
    ) -> None:
        self._call(
            clients.ASSIGNMENTS,
            "CreateAssignment",
            what,
            principalId=principal_id,
            principalType=principal_type,
            subscriptionType=plan,
        )

    def update_assignment(
        self, principal_id: str, principal_type: str, plan: str, what: str
    ) -> None:
        self._call(
            clients.ASSIGNMENTS,
            "UpdateAssignment",
            what,
            principalId=principal_id,
            principalType=principal_type,
            subscriptionType=plan,
        )

    def delete_assignment(self, principal_id: str, principal_type: str, what: str) -> None:
        self._call(
            clients.ASSIGNMENTS,
            "DeleteAssignment",
            what,
            principalId=principal_id,
            principalType=principal_type,
        )

    # -- listings (AWSZornControlPlaneService, in the Identity Center region) -----------------

    def list_user_subscriptions(self) -> Iterator[dict[str, Any]]:
        """Every subscription record of the instance for the Kiro region (every page)."""
        return self._items(
            clients.USER_SUBSCRIPTIONS,
            "ListUserSubscriptions",
            "subscriptions",
            SUBSCRIPTIONS_PAGE,
            instanceArn=self.instance_arn,
            subscriptionRegion=self.kiro_region,
        )

    def list_application_claims(self, application_arn: str) -> Iterator[dict[str, Any]]:
        """Every claim (user or group assignment) of the Kiro application (every page)."""
        return self._items(
            clients.USER_SUBSCRIPTIONS,
            "ListApplicationClaims",
            "claims",
            CLAIMS_PAGE,
            applicationArn=application_arn,
            subscriptionRegion=self.kiro_region,
        )

    # -- profiles (AWSCodeWhispererService, signed "codewhisperer", in the Kiro region) --------

    def list_profiles(self) -> list[dict[str, Any]]:
        return list(self._items(clients.PROFILES, "ListProfiles", "profiles", CLAIMS_PAGE))

    def update_profile(self, params: dict[str, Any], what: str) -> None:
        """UpdateProfile with ``params`` as ``wire.profile_update`` makes them."""
        self._call(clients.PROFILES, "UpdateProfile", what, **params)

    # -- plumbing -------------------------------------------------------------------------------

    def _client(self, service: str) -> Any:
        region = (
            self.identity_center_region
            if service == clients.USER_SUBSCRIPTIONS
            else self.kiro_region
        )
        override = {
            clients.ASSIGNMENTS: self.q_endpoint,
            clients.USER_SUBSCRIPTIONS: self.user_subscriptions_endpoint,
            clients.PROFILES: self.codewhisperer_endpoint,
        }[service]
        endpoint = override or clients.default_endpoint(
            service,
            kiro_region=self.kiro_region,
            identity_center_region=self.identity_center_region,
        )
        return clients.client(service, region, endpoint)

    def _call(self, service: str, operation: str, what: str, **params: Any) -> dict[str, Any]:
        method = getattr(self._client(service), _snake(operation))
        try:
            with _in_flight:
                return cast("dict[str, Any]", method(**params))
        except (ClientError, BotoCoreError) as err:
            raise translate(err, operation, what) from err

    def _items(
        self, service: str, operation: str, key: str, page_size: int, **params: Any
    ) -> Iterator[dict[str, Any]]:
        paginator = self._client(service).get_paginator(_snake(operation))
        pages = iter(paginator.paginate(PaginationConfig={"PageSize": page_size}, **params))
        while True:
            try:
                with _in_flight:
                    page = next(pages, None)
            except (ClientError, BotoCoreError) as err:
                raise translate(err, operation, "the Kiro profile") from err
            if page is None:
                return
            yield from page.get(key) or []


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
