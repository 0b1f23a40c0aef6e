"""The pulumi-kiro provider: Kiro's subscription rules, the embedded ledger, the directory
adapters, kiroctl, and the Pulumi resource providers that drive them.

Dependencies point one way: ``resources`` -> ``controlplane`` (interface) -> ``domain`` over
``ledger`` | Kiro's own service; ``directory`` adapters sit behind a small port.
"""
