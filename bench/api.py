"""API benchmark: the events list and event reads over millions of events, and alert-list
throughput under 50 concurrent clients.

`vigil bench api [--quick] [--events N] [--seconds S]`. Generates N events (10 million by
default; 300 thousand with --quick) spread over 12 monthly partitions in an embedded
PostgreSQL, runs the API as a separate process, and measures over HTTP:
* p50/p99 of `GET /events` with typical filters (camera + type + one week), first page and a
  deep page by cursor;
* page 100 of a camera's events timed inside the database, keyset (what the API does)
  against the anchor measured in the same run: OFFSET pagination, the usual naive way;
* p50/p99 of `GET /events/{id}`;
* requests per second of `GET /alerts` at 50 concurrent clients.
Goal: p99 under 50 ms for a filtered page of events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

from bench import nearest_rank, progress
from vigil.app.demo import free_port
from vigil.auth.users import UserService
from vigil.clock import SystemClock
from vigil.db.embedded import EmbeddedPostgres
from vigil.db.migrate import upgrade
from vigil.db.partitions import ensure_event_partitions
from vigil.db.session import Database

CAMERAS = [
    "gate",
    "perimeter-north",
    "perimeter-east",
    "loading-bay",
    "warehouse",
    "parking",
    "office",
    "yard",
]
TYPES = ["zone_intrusion", "line_crossing", "loitering", "crowd", "camera_offline"]
START = datetime(2025, 12, 1, tzinfo=UTC)
PASSWORD = "bench-admin-password"


def _generate(db: Database, events: int) -> None:
    with db.session() as session:
        for month in range(13):
            ensure_event_partitions(session, START + timedelta(days=31 * month), months_ahead=0)
        session.commit()
    chunk = 500_000
    done = 0
    span_s = 365 * 86400
    t0 = time.monotonic()
    while done < events:
        n = min(chunk, events - done)
        with db.engine.begin() as conn:
            conn.execute(
                text("""
                INSERT INTO events (id, occurred_at, camera_id, type, severity, rule_id,
                                    zone_id, confidence, data, created_at)
                SELECT gen_random_uuid(),
                       CAST(:start AS timestamptz) + (random() * :span) * interval '1 second',
                       (CAST(:cams AS text[]))[1 + floor(random() * 8)::int],
                       (CAST(:types AS text[]))[1 + floor(random() * 5)::int],
                       'high', 'bench', 'zone', random(), '{}'::jsonb, now()
                FROM generate_series(1, :n)
            """),
                {"start": START, "span": span_s, "n": n, "cams": CAMERAS, "types": TYPES},
            )
        done += n
        rate = done / (time.monotonic() - t0)
        progress(f"  events: {done:,}/{events:,} ({rate:,.0f}/s)")
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE events"))


def _timed(client: httpx.Client, url: str, n: int, headers: dict[str, str]) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(url, headers=headers)
        out.append(1000 * (time.perf_counter() - t))
        r.raise_for_status()
    return out


async def _rps(base: str, headers: dict[str, str], clients: int, seconds: float) -> float:
    count = 0
    deadline = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal count
        while time.monotonic() < deadline:
            r = await client.get("/api/v1/alerts?limit=50", headers=headers)
            r.raise_for_status()
            count += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return count / seconds


def _deep_page_in_db(db: Database, page: int, camera: str) -> tuple[list[float], list[float]]:
    """Page `page` (50 rows each) of one camera's events of one type, newest first, timed in
    the database: keyset (what the API does) and OFFSET (the naive anchor)."""
    where = "camera_id = :c AND type = :t"
    params: dict[str, object] = {"c": camera, "t": TYPES[0], "o": page * 50}
    order = "ORDER BY occurred_at DESC, id DESC"
    keyset_ms: list[float] = []
    offset_ms: list[float] = []
    with db.engine.connect() as conn:
        row = conn.execute(
            text(f"SELECT occurred_at, id FROM events WHERE {where} {order} OFFSET :o - 1 LIMIT 1"),
            params,
        ).first()
        if row is None:
            return [], []
        after = {**params, "at": row[0], "id": row[1]}
        for _ in range(30):
            t = time.perf_counter()
            conn.execute(
                text(
                    f"SELECT * FROM events WHERE {where} AND (occurred_at, id) < "
                    f"(:at, :id) {order} LIMIT 50"
                ),
                after,
            ).all()
            keyset_ms.append(1000 * (time.perf_counter() - t))
            t = time.perf_counter()
            conn.execute(
                text(f"SELECT * FROM events WHERE {where} {order} OFFSET :o LIMIT 50"), params
            ).all()
            offset_ms.append(1000 * (time.perf_counter() - t))
    return keyset_ms, offset_ms


def main(quick: bool, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vigil bench api")
    parser.add_argument("--events", type=int, default=300_000 if quick else 10_000_000)
    parser.add_argument("--seconds", type=float, default=10 if quick else 30)
    parser.add_argument("--samples", type=int, default=100 if quick else 400)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="vigil-bench-api-"))
    pg = EmbeddedPostgres(work / "pg")
    url = os.environ.get("VIGIL_BENCH_DATABASE_URL") or pg.start()
    server: subprocess.Popen[bytes] | None = None
    try:
        upgrade(url)
        db = Database(url, statement_timeout_s=None)  # bulk inserts of 500k events each
        progress(f"generating {args.events:,} events over 12 monthly partitions…")
        _generate(db, args.events)
        UserService(db, SystemClock()).ensure_admin(PASSWORD)
        port = free_port(0)
        server = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("api_server.py")),
                "--database-url",
                url,
                "--data-dir",
                str(work),
                "--port",
                str(port),
            ]
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health/live").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        week = START + timedelta(days=180)
        query = (
            f"/api/v1/events?camera_id=gate&type={TYPES[0]}&limit=50"
            f"&start={week.isoformat().replace('+00:00', 'Z')}"
            f"&end={(week + timedelta(7)).isoformat().replace('+00:00', 'Z')}"
        )
        with httpx.Client(base_url=base, timeout=30) as client:
            _timed(client, query, 20, headers)  # warm caches and the connection pool
            first = _timed(client, query, args.samples, headers)
            cursor = None
            url_deep = query
            for _ in range(10):  # walk 10 pages deep by cursor
                page = client.get(url_deep, headers=headers).json()
                cursor = page["next_cursor"]
                if not cursor:
                    break
                url_deep = f"{query}&cursor={cursor}"
            deep = _timed(client, url_deep, args.samples, headers)
            ids = [
                e["id"]
                for e in client.get("/api/v1/events?limit=500", headers=headers).json()["items"]
            ]
            get_ms: list[float] = []
            for event_id in random.Random(1).choices(ids, k=args.samples):
                get_ms += _timed(client, f"/api/v1/events/{event_id}", 1, headers)
        keyset_db, offset_db = _deep_page_in_db(db, 100, "gate")
        rps = asyncio.run(_rps(base, headers, 50, args.seconds))
        db.dispose()
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        pg.stop()
    result = {
        "bench": "api",
        "events": args.events,
        "events_list_p50_ms": nearest_rank(first, 0.5, 1),
        "events_list_p99_ms": nearest_rank(first, 0.99, 1),
        "events_page10_p99_ms": nearest_rank(deep, 0.99, 1),
        "page100_keyset_db_p99_ms": nearest_rank(keyset_db, 0.99, 1) if keyset_db else None,
        "anchor_page100_offset_db_p99_ms": nearest_rank(offset_db, 0.99, 1) if offset_db else None,
        "event_get_p50_ms": nearest_rank(get_ms, 0.5, 1),
        "event_get_p99_ms": nearest_rank(get_ms, 0.99, 1),
        "alerts_rps": round(rps, 1),
    }
    print(f"{'figure':<40} {'value':>12}")
    for key, value in result.items():
        if key != "bench":
            print(f"{key:<40} {value!s:>12}")
    print(
        "(page 100 of one camera's events of one type, timed inside the database: keyset "
        "pagination as the API does it vs OFFSET, the naive anchor)"
    )
    print(json.dumps(result))
    return 0
