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
from kiro_provider.errors import ValidationError

#: Page size of ListUserSubscriptions (the service accepts 100-1000).
SUBSCRIPTIONS_PAGE = 1000
#: Page sizes of ListApplicationClaims, largest first. Public callers ask for 100 and nothing
#: says Kiro takes more; its sibling ListUserSubscriptions takes 1,000. So 1,000 is asked
#: first (a drift check of 1,000 users then lists the claims in 2 calls, not 11), and 100 after
#: a ValidationException about maxResults; what worked is kept for the process.
CLAIMS_PAGES = (1000, 100)
#: Page size of ListProfiles (one profile per account and region: one page).
PROFILES_PAGE = 100
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
        """Every claim (user or group assignment) of the Kiro application (every page), in
        pages as large as Kiro takes (``CLAIMS_PAGES``)."""
        while True:
            size = _claims_page.size
            listed = False
            try:
                for claim in self._items(
                    clients.USER_SUBSCRIPTIONS,
                    "ListApplicationClaims",
                    "claims",
                    size,
                    applicationArn=application_arn,
                    subscriptionRegion=self.kiro_region,
                ):
                    listed = True
                    yield claim
                return
            except ValidationError as refused:
                # Only a refusal of the first page's size is retried smaller: a later page's
                # would repeat claims already given.
                if listed or not _about_page_size(refused) or not _claims_page.smaller(size):
                    raise

    # -- profiles (AWSCodeWhispererService, signed "codewhisperer", in the Kiro region) --------

    def list_profiles(self) -> list[dict[str, Any]]:
        return list(self._items(clients.PROFILES, "ListProfiles", "profiles", PROFILES_PAGE))

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


class _PageSize:
    """The claims page size that works in this process: the first of ``CLAIMS_PAGES`` until
    Kiro refuses it, then the next (thread-safe: the engine reads from four threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.size = CLAIMS_PAGES[0]

    def smaller(self, refused: int) -> bool:
        """Move past ``refused``; False when no smaller size is left to try."""
        with self._lock:
            if self.size == refused:
                smaller = [size for size in CLAIMS_PAGES if size < refused]
                if not smaller:
                    return False
                self.size = smaller[0]
            return True


_claims_page = _PageSize()


def forget_page_sizes() -> None:
    """Ask for the largest claims page again (tests that change what the service accepts)."""
    global _claims_page
    _claims_page = _PageSize()


def _about_page_size(refused: ValidationError) -> bool:
    return refused.field == "maxResults" or "maxResults" in refused.message
