"""The ``kiro`` Pulumi provider plugin: the three resources for every Pulumi language.

``PulumiPlugin.yaml`` (runtime python) and ``__main__.py`` at the repository root start
``kiro_provider.plugin.server.main`` with the checked-in ``schema.json``: see docs/plugin.md.
"""
