"""One Vigil edge ingest process for `vigil bench ingest`: record + sample N cameras.

`python -m bench.ingest_worker OUT_DIR [PROCESSES]` reads `{"camera_id": url, ...}` as
JSON on stdin (so passwords stay out of `ps`), runs one `CameraWorker` per camera until SIGTERM
(in this process, or with PROCESSES = N or "auto" in an `IngestPool` of child processes, as
`recording.ingest_processes` does on a site) and reports through files in OUT_DIR:
`segments-<pid>.jsonl` (one line per stored segment, with the wall time it closed) and
`frames-<pid>.json` (frames emitted and reconnects per camera, rewritten every second).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from vigil.clock import SystemClock
from vigil.edge.camera import CameraWorker
from vigil.edge.pool import CameraHandle, IngestPool, PoolCamera, ingest_processes
from vigil.model.messages import CameraStatus, Frame, SegmentInfo
from vigil.storage import FsObjectStore

_REPORT_PERIOD_S = 1.0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0])
    urls: dict[str, str] = json.loads(sys.stdin.read())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    frames = dict.fromkeys(urls, 0)
    seg_lock = threading.Lock()
    pid = os.getpid()
    seg_file = (out / f"segments-{pid}.jsonl").open("a", buffering=1)

    def on_frame(frame: Frame) -> None:
        frames[frame.camera_id] += 1  # one writer per camera (its thread, or a pool reader)

    def on_segment(info: SegmentInfo) -> None:
        line = json.dumps(
            {
                "camera": info.camera_id,
                "start": info.start.timestamp(),
                "end": info.end.timestamp(),
                "closed": time.time(),
            }
        )
        with seg_lock:
            seg_file.write(line + "\n")

    def on_status(status: CameraStatus) -> None:
        pass

    clock = SystemClock()
    store = FsObjectStore(out / "objects")
    (out / "staging").mkdir(parents=True, exist_ok=True)
    setting = args[1] if len(args) > 1 else "0"
    n = ingest_processes(
        "auto" if setting == "auto" else int(setting), len(urls), os.cpu_count() or 1
    )
    pool: IngestPool | None = None
    workers: list[CameraWorker] = []
    handles: list[CameraHandle]
    if n > 0:
        pool = IngestPool(
            [PoolCamera(cam, url) for cam, url in urls.items()],
            processes=n,
            store=store,
            staging_dir=out / "staging",
            clock=clock,
            on_frame=on_frame,
            on_segment=on_segment,
            on_status=on_status,
        )
        pool.start()
        handles = list(pool.cameras.values())
    else:
        workers = [
            CameraWorker(
                cam,
                url,
                store=store,
                staging_dir=out / "staging",
                clock=clock,
                on_frame=on_frame,
                on_segment=on_segment,
                on_status=on_status,
            )
            for cam, url in urls.items()
        ]
        for worker in workers:
            worker.start()
        handles = list(workers)
    report = out / f"frames-{pid}.json"
    while not stop.wait(_REPORT_PERIOD_S):
        _write_report(report, frames, handles)
    if pool is not None:
        pool.stop()
    for worker in workers:
        worker.stop()
    _write_report(report, frames, handles)
    seg_file.close()
    return 0


def _write_report(path: Path, frames: dict[str, int], workers: list[CameraHandle]) -> None:
    body = {
        "time": time.time(),
        "frames": dict(frames),
        "reconnects": {w.camera_id: w.status.reconnects for w in workers},
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body))
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
