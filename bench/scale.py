"""Scale benchmark: face search over a million embeddings (HNSW against exact search) and
the hub's throughput on Kafka. The code lives in `vigil.bench.scale` so that
`vigil bench scale [--quick]` runs it; this script is the same thing for a checkout.

Run: .venv/bin/python bench/scale.py [--quick] [options of vigil.bench.scale]
"""

from __future__ import annotations

import sys

from vigil.bench.scale import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    quick = "--quick" in argv
    sys.exit(main(quick, [a for a in argv if a != "--quick"]))
