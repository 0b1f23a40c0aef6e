"""Where users and groups come from: a small port and its adapters."""

from kiro_provider.directory.base import Directory

__all__ = ["Directory"]
