"""Vigil's benchmarks: a development package of the source checkout, not installed with Vigil.
Run one with `vigil bench NAME [--quick]` or `python -m bench NAME [--quick]` from the checkout;
each prints a table whose last line is JSON.

Register one with a line in `BENCHMARKS`: name -> "module:function", where the function is
`main(quick: bool, argv: list[str]) -> int` (argv: the benchmark's own options).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import cast

from vigil.errors import VigilError

BENCHMARKS: dict[str, str] = {
    "ingest": "bench.ingest:main",
    "vision": "bench.vision:main",
    "alerts": "bench.alerts:main",
    "api": "bench.api:main",
    "live": "bench.live:main",
    "scale": "bench.scale:main",
}


def progress(msg: str) -> None:
    """A benchmark's progress line, on stderr: stdout carries its table and JSON."""
    print(msg, file=sys.stderr, flush=True)


def nearest_rank(values: list[float], q: float, digits: int) -> float:
    """The `q` quantile of `values` by nearest rank (the sorted values' `int(q * n)`th),
    rounded to `digits`."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], digits)


class UnknownBenchmarkError(VigilError):
    """`vigil bench` was asked for a benchmark that is not registered."""


def run_benchmark(name: str, *, quick: bool, args: list[str]) -> int:
    """Import and run benchmark `name`; returns its exit code."""
    target = BENCHMARKS.get(name)
    if target is None:
        known = ", ".join(sorted(BENCHMARKS))
        raise UnknownBenchmarkError(f"no benchmark {name!r}; known: {known}")
    module_name, func_name = target.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    return cast(Callable[[bool, list[str]], int], func)(quick, args)
