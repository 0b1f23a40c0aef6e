"""kiroctl: the Kiro console on the command line.

A thin layer over the ControlPlane interface: ``parser`` declares the commands and their help,
``commands`` parses -> calls the control plane, ``render`` prints tables and JSON, and ``main``
translates errors into one line and an exit code. See ``docs/kiroctl.md``.
"""

from kiro_provider.cli.main import main

__all__ = ["main"]
