"""Ingest benchmark: Vigil's edge against the reference design's two ffmpeg processes per
camera, same simulator content, same run. The code lives in `vigil.bench.ingest` so that
`vigil bench ingest [--quick]` runs it; this script is the same thing for a checkout.

Run: .venv/bin/python bench/ingest.py [--quick] [options of vigil.bench.ingest]
"""

from __future__ import annotations

import sys

from vigil.bench.ingest import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    quick = "--quick" in argv
    sys.exit(main(quick, [a for a in argv if a != "--quick"]))
