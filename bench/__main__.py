"""`python -m bench NAME [--quick] [options of the benchmark]`, from the checkout's root: the
same as `vigil bench NAME`."""

from __future__ import annotations

import sys

from bench import BENCHMARKS, run_benchmark
from vigil.errors import VigilError


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(f"usage: python -m bench NAME [--quick] [options]; NAME: {', '.join(BENCHMARKS)}")
        return 2
    name, rest = argv[0], argv[1:]
    try:
        return run_benchmark(
            name, quick="--quick" in rest, args=[a for a in rest if a != "--quick"]
        )
    except VigilError as err:
        print(f"error: {err.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
