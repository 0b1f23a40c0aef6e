"""Kiro's own service as a control plane (experimental): models, client, adapter.

See docs/aws.md for what is verified (against a local fake, from public evidence) and what is
not (no live AWS account was used to build this).
"""

from kiro_provider.aws.controlplane import AwsControlPlane
from kiro_provider.aws.service import KiroService

__all__ = ["AwsControlPlane", "KiroService"]
