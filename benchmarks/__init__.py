"""pulumi-kiro benchmarks: what the provider costs next to Pulumi's own floor (issue 4).

Run ``benchmarks/run --help`` (or ``python -m benchmarks``); docs/benchmarks.md has the numbers.
"""
