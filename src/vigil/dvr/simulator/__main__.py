"""`python -m vigil.dvr.simulator`: serve a simulated CP PLUS DVR until SIGINT/SIGTERM.

Logs to stderr; once listening it logs a line containing
`dvr-sim ready on rtsp://HOST:PORT` that a parent process can wait for.
The password may come from `$VIGIL_DVR_SIM_PASSWORD` to keep it out of `ps`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from vigil.dvr.simulator.server import run_simulator
from vigil.errors import VigilError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vigil.dvr.simulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8554, help="RTSP port (0: any free port)")
    p.add_argument("--channels", type=int, default=8, help="number of channels (1..64)")
    p.add_argument("--user", default="admin", help="DVR user name")
    p.add_argument(
        "--password",
        default=os.environ.get("VIGIL_DVR_SIM_PASSWORD"),
        help="DVR password (default: $VIGIL_DVR_SIM_PASSWORD)",
    )
    p.add_argument("--cache-dir", type=Path, default=None, help="encoded content cache")
    p.add_argument(
        "--duration-s", type=float, default=None, help="loop length (default: all footage)"
    )
    p.add_argument(
        "--clock-channel",
        type=int,
        action="append",
        default=[],
        help="channel encoded live with the wall clock burnt in, for latency tests (repeatable)",
    )
    p.add_argument(
        "--frozen-channel",
        type=int,
        action="append",
        default=[],
        help="channel that loops one still picture, like a stuck encoder (repeatable)",
    )
    p.add_argument(
        "--night-channel",
        type=int,
        action="append",
        default=[],
        help="channel showing a dark, static yard with sensor noise (repeatable)",
    )
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,  # StreamHandler flushes after every record
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.password is None:
        logging.getLogger(__name__).error("give --password or set VIGIL_DVR_SIM_PASSWORD")
        return 2
    try:
        run_simulator(
            args.host,
            args.port,
            args.channels,
            args.user,
            args.password,
            cache_dir=args.cache_dir,
            duration_s=args.duration_s,
            clock_channels=tuple(args.clock_channel),
            frozen_channels=tuple(args.frozen_channel),
            night_channels=tuple(args.night_channel),
        )
    except VigilError as err:
        logging.getLogger(__name__).error("%s", err.detail)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
