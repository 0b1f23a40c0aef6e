"""Kiro's three private services: the botocore models we ship, their names and endpoints.

AWS publishes no SDK model for Kiro subscription management, so ``models/`` holds service
models of our own (see docs/aws.md for what each one is based on). They are added to a
botocore data loader's search path, so boto3 builds ordinary clients: SigV4 from the normal
credential chain, modelled errors parsed to their short codes, and the cache, retries and
timeouts every client of pulumi-kiro shares (``kiro_provider.boto_clients``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiro_provider import boto_clients

#: Folder of our botocore models (package data: ``<service>/<api-version>/service-2.json``).
MODELS_DIR = Path(__file__).resolve().parent / "models"

#: The three services, by the name our models give them.
ASSIGNMENTS = "kiro-assignments"  # AmazonQDeveloperService, signed as "q"
USER_SUBSCRIPTIONS = "kiro-user-subscriptions"  # AWSZornControlPlaneService
PROFILES = "kiro-profiles"  # AWSCodeWhispererService, signed as "codewhisperer"
SERVICES = (ASSIGNMENTS, USER_SUBSCRIPTIONS, PROFILES)


def default_endpoint(service: str, *, kiro_region: str, identity_center_region: str) -> str:
    """The public endpoint of ``service``: the assignment and profile services live in the Kiro
    region, the subscription listing in the IAM Identity Center region."""
    if service == USER_SUBSCRIPTIONS:
        return f"https://service.user-subscriptions.{identity_center_region}.amazonaws.com"
    return f"https://codewhisperer.{kiro_region}.amazonaws.com"


def client(service: str, region: str, endpoint_url: str) -> Any:
    """The process-wide client of Kiro's ``service`` signing for ``region`` and calling
    ``endpoint_url``, built from our model on first use."""
    return boto_clients.client(
        service,
        region,
        endpoint_url,
        models_dir=MODELS_DIR,
        config=boto_clients.KIRO_CLIENT_CONFIG,
    )
