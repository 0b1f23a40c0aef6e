"""pulumi-kiro benchmarks: what the provider costs next to Pulumi's own floor.

Run ``benchmarks/run --help`` (or ``python -m benchmarks``); docs/benchmarks.md has the numbers.
"""
