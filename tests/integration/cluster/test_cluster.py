"""Issue 8's acceptance, on loopback with every part a separate process: two sites (each a
DVR simulator and `vigil edge`), a hub (`vigil hub`, HTTPS) and two analytics workers on
Kafka (tansu), S3 (SeaweedFS), Redis and one PostgreSQL.

Linked, alerts of both sites reach the hub's API and a dashboard's WebSocket, and their
segments land in S3. Then both edges' WAN links are cut for two minutes: the edges record and
alert on their own (a guard acknowledges an alert locally), the hub marks them OFFLINE, and
meanwhile one analytics worker is killed (SIGKILL) in the middle of open incidents on the
cluster's own detection stream (the survivor, with the hub's analytics, takes its cameras
over) and the hub itself is restarted. After the link is back, every alert, event and segment
the edges hold is at the hub exactly once, and the acknowledgement too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import ssl
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from sqlalchemy import select

from tests.support import engines
from tests.support.cluster import (
    ADMIN_PASSWORD,
    AlertSocket,
    Client,
    Link,
    Role,
    WorkerRole,
    create_key,
    stop_all,
)
from tests.support.site import SIM_PASSWORD, Simulator, wait_for
from tests.support.tls import self_signed
from vigil.analytics.rules import stamp
from vigil.app.demo import demo_config
from vigil.bus import topics
from vigil.bus.kafka import KafkaBus, partitions_of
from vigil.db.session import Database
from vigil.db.tables import Alert
from vigil.model.detections import Detection, Detections
from vigil.model.messages import FrameDetections

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SITES = {"site-a": "gate-a", "site-b": "gate-b"}  # edge -> its camera
SEGMENT_S = 4.0
OUTAGE_S = 120.0
BUCKET_PREFIX = "vigil-"
S3_KEY, S3_SECRET = "cluster-test", "cluster-test-secret"


def _one_camera_per_partition() -> list[str]:
    """The cluster's own cameras (their detections arrive on Kafka as its inference stage
    publishes them): one on each partition of ai.detections (librdkafka's default partitioner
    is CRC32 of the key), so every member of the analytics group has cameras, whatever its
    share of the partitions."""
    partitions = partitions_of(topics.DETECTIONS)
    cameras: dict[int, str] = {}
    n = 0
    while len(cameras) < partitions:
        n += 1
        cameras.setdefault(zlib.crc32(f"cam-{n:02}".encode()) % partitions, f"cam-{n:02}")
    return sorted(cameras.values())


CLUSTER_CAMERAS = _one_camera_per_partition()
CYCLE = 10  # frames: 5 with a person in the walkway, 5 without -> one incident per cycle
WAIT_S = 90.0  # liveness bound only
MIDDLE_STRIP = [[0.35, 0.42], [0.65, 0.42], [0.65, 0.99], [0.35, 0.99]]
_CLUSTER_ENV = ("VIGIL_DATABASE_URL", "VIGIL_KAFKA_BOOTSTRAP", "VIGIL_S3_ENDPOINT",
                "VIGIL_S3_BUCKET_PREFIX", "VIGIL_REDIS_URL", "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY")  # fmt: skip


def _site(site_id: str, cameras: list[str], sim_port: int) -> dict[str, Any]:
    """The demo site's walkway rule (incidents end after 3 quiet seconds) on `cameras`, its
    zone narrowed to the middle of the picture (x 0.35-0.65; the foot point (0.5, 0.9) of
    `DetectionStream` inside): the demo's walkway spans the whole width, where the simulator's
    30 s of vtest keep someone nearly all the time, so a tracker that holds people through a
    missed frame (Vigil's own ByteTrack) leaves no quiet gap and an edge would raise no new
    alert during the outage. In the middle strip people come and go: about one incident per
    30 s loop, measured on the footage at 1 fps."""
    data = demo_config(sim_port, SIM_PASSWORD, channels=1).model_dump(mode="json")
    data["site"]["id"] = site_id
    data["dvr"]["password"] = "${VIGIL_DVR_PASSWORD}"
    data["dvr"]["channels"] = len(cameras)
    template = data["cameras"][0]
    zones = [{**zone, "polygon": MIDDLE_STRIP} for zone in template["zones"]]
    data["cameras"] = [
        {**template, "id": cam, "name": cam, "channel": n, "zones": zones}
        for n, cam in enumerate(cameras, 1)
    ]
    data["rules"][0]["clear_after_s"] = 3
    data["recording"]["segment_s"] = SEGMENT_S
    return data


class DetectionStream:
    """ai.detections of the cluster's cameras: frame n of each at `start + n` s. Every 10-frame
    cycle is one incident whose key is fixed by the frame it began on, so a worker that took
    a camera over mid-incident and started afresh would alert the same intrusion twice."""

    def __init__(self, bus: KafkaBus, start: datetime) -> None:
        self.bus, self.start, self.sent = bus, start, 0

    def frames(self, n: int, *, empty: bool = False) -> None:
        for _ in range(n):
            t = self.sent
            person = not empty and t % CYCLE < 5
            found = [Detection("person", 0.9, (0.45, 0.6, 0.55, 0.9), None)] if person else []
            at = self.start + timedelta(seconds=t)
            for cam in CLUSTER_CAMERAS:
                value = FrameDetections(cam, at, t, Detections.from_list(found), "test")
                self.bus.publish(topics.DETECTIONS, cam, value)
            self.sent += 1
        assert self.bus.flush(30) == 0, "detections not acknowledged by the broker"

    def expected_keys(self, first: int) -> set[str]:
        """One incident per camera and cycle whose first two frames (min_frames) were sent."""
        keys = set()
        for cycle_start in range(first, self.sent - 1, CYCLE):
            at = stamp(self.start + timedelta(seconds=cycle_start))
            keys.update(f"intrusion/{cam}/walkway/{at}" for cam in CLUSTER_CAMERAS)
        return keys


def _cluster_keys(db: Database) -> list[str]:
    with db.session() as session:
        query = select(Alert.incident_key).where(Alert.camera_id.in_(CLUSTER_CAMERAS))
        return list(session.scalars(query))


def _wait_keys(what: str, db: Database, expected: set[str], *, exact: bool) -> list[str]:
    """The cluster cameras' incident keys once they are `expected` (or include it); a timeout
    names the keys missing and those not expected."""

    def done() -> bool:
        keys = set(_cluster_keys(db))
        return keys == expected if exact else keys >= expected

    try:
        wait_for(what, done, WAIT_S)
    except AssertionError as err:
        keys = set(_cluster_keys(db))
        raise AssertionError(
            f"{err}: missing {sorted(expected - keys)}, not expected {sorted(keys - expected)}"
        ) from None
    return _cluster_keys(db)


def _kill_a_worker_mid_incident(kafka: str, db: Database, workers: list[WorkerRole]) -> WorkerRole:
    """Detections flow; the busier worker is SIGKILLed with incidents open; every incident is
    alerted exactly once all the same. Returns the survivor."""
    bus = KafkaBus(kafka, client_id="test-inference")
    asyncio.run(bus.start())
    try:
        stream = DetectionStream(bus, datetime.now(UTC).replace(microsecond=0))
        deadline = time.monotonic() + WAIT_S
        while not all(w.frames() for w in workers):  # both share the cameras (with the hub)
            assert time.monotonic() < deadline, "the two analytics workers never both got cameras"
            stream.frames(1, empty=True)
            time.sleep(0.5)
        while stream.sent % CYCLE:  # incidents start on a cycle boundary
            stream.frames(1, empty=True)
        first = stream.sent
        stream.frames(3 * CYCLE + 3)  # three whole incidents, and a fourth one open
        expected = stream.expected_keys(first)
        _wait_keys("the first cluster alerts", db, expected, exact=True)

        victim = max(workers, key=lambda w: w.frames())
        assert victim.frames() > 0
        victim.kill()
        survivor = next(w for w in workers if w is not victim)
        for _ in range(2 * CYCLE + 7):  # the rest of the open incidents and two more
            stream.frames(1)
            time.sleep(0.3)
        expected = stream.expected_keys(first)
        assert len(expected) == 6 * len(CLUSTER_CAMERAS)
        # Each camera's frames are processed in order: an incident doubled by the takeover
        # would be recorded before the last cycle's.
        keys = _wait_keys("the survivor's alerts", db, expected, exact=False)
        doubled = sorted({k for k in keys if keys.count(k) > 1} | (set(keys) - expected))
        lost = sorted(expected - set(keys))
        assert (doubled, lost) == ([], []), "incidents alerted twice or not at all"
        assert survivor.proc is not None and survivor.proc.poll() is None, survivor.output[-3000:]
        assert survivor.frames() > 0, "the survivor's health does not answer"
        return survivor
    finally:
        asyncio.run(bus.stop())


def _s3_segment_keys(endpoint: str) -> Callable[[], list[str]]:
    """A function listing every object key in the hub's video-segments bucket."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET)  # fmt: skip

    def keys() -> list[str]:
        found: list[str] = []
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=f"{BUCKET_PREFIX}video-segments"
        )
        for page in pages:
            found.extend(o["Key"] for o in page.get("Contents", []))
        return found

    return keys


def _between(alerts: list[dict[str, Any]], start: datetime, end: datetime) -> list[str]:
    return [a["id"] for a in alerts if start <= datetime.fromisoformat(a["created_at"]) < end]


def _differences(hub: Client, edge: Client, cam: str, start: datetime, end: datetime,
                 s3_keys: list[str]) -> dict[str, Any]:  # fmt: skip
    """What the hub lacks or holds twice of what the edge made of `cam` in [start, end)."""
    window = (start.isoformat(), end.isoformat())
    pairs = {
        "alerts": (_between(edge.alerts(cam), start, end), _between(hub.alerts(cam), start, end)),
        "events": (edge.event_ids(cam, *window), hub.event_ids(cam, *window)),
        "segments": (edge.segment_keys(cam, *window), hub.segment_keys(cam, *window)),
    }
    found: dict[str, Any] = {}
    for kind, (at_edge, at_hub) in pairs.items():
        missing = sorted(set(at_edge) - set(at_hub))
        doubled = sorted({i for i in at_hub if at_hub.count(i) > 1})
        extra = sorted(set(at_hub) - set(at_edge))
        for what, ids in (("missing", missing), ("doubled", doubled), ("not at the edge", extra)):
            if ids:
                found[f"{cam} {kind} {what} at the hub"] = ids
    not_in_s3 = sorted(set(pairs["segments"][0]) - set(s3_keys))
    if not_in_s3:
        found[f"{cam} segments missing in S3"] = not_in_s3
    return found


@pytest.fixture
def work() -> Iterator[Path]:
    """Not under pytest's basetemp: every pytest run resets /tmp/pytest-of-<user> to 0700,
    which would lock the edges' embedded PostgreSQL's own user out mid-test."""
    root = Path(tempfile.mkdtemp(prefix="vigil-test-cluster-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_two_sites_on_a_cluster_survive_a_link_cut_and_a_worker_kill(
    work: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _CLUSTER_ENV:  # the edges must not reach the cluster's engines directly
        monkeypatch.delenv(name, raising=False)
    base = {**os.environ, "VIGIL_ADMIN_PASSWORD": ADMIN_PASSWORD, "COLUMNS": "200",
            "VIGIL_DVR_PASSWORD": SIM_PASSWORD}  # fmt: skip
    with contextlib.ExitStack() as stack:
        kafka = stack.enter_context(engines.tansu())
        s3 = stack.enter_context(engines.seaweedfs())
        redis = stack.enter_context(engines.redis_server())
        cluster_env = {
            **base,
            "VIGIL_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
            "VIGIL_KAFKA_BOOTSTRAP": kafka,
            "VIGIL_S3_ENDPOINT": s3,
            "VIGIL_S3_BUCKET_PREFIX": BUCKET_PREFIX,
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "VIGIL_REDIS_URL": redis,
        }
        cert, key = self_signed(work / "tls")
        ca = ssl.create_default_context(cafile=cert)
        # Side by side, as far as each allows: the hub, each edge's key (made by the operator
        # in the cluster's database) and the simulators; then the edges; the workers once the
        # hub has written its cameras; ready all.
        hub_yaml = work / "hub.yaml"
        hub_yaml.write_text(yaml.safe_dump(_site("hub", [*SITES.values(), *CLUSTER_CAMERAS], 554)))
        hub_port = engines.free_port()
        hub = Role(
            ["hub", "--config", str(hub_yaml), "--data-dir", str(work / "hub"),
             "--port", str(hub_port), "--tls-cert", str(cert), "--tls-key", str(key)],
            cluster_env,
        )  # fmt: skip
        stack.callback(hub.kill)
        hub.spawn()
        making = {
            site: create_key(f"edge {site}", cluster_env, str(work / "hub")) for site in SITES
        }
        sims = {}
        for site in SITES:
            sims[site] = Simulator(engines.free_port(), channels=1)
            stack.callback(sims[site].kill)
            sims[site].start()
        edge_keys: dict[str, str] = {}
        for site, proc in making.items():
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            edge_keys[site] = out.strip()
        links, edges, edge_apis = {}, {}, {}
        for site, cam in SITES.items():
            links[site] = Link(hub_port)
            links[site].start()
            stack.callback(links[site].close)
            data = _site(site, [cam], sims[site].port)
            data["uplink"] = {
                "hub_url": f"https://127.0.0.1:{links[site].port}",
                "api_key": "${VIGIL_UPLINK_API_KEY}", "ca_file": str(cert),
                "backoff_initial_s": 0.5, "backoff_max_s": 2.0,
            }  # fmt: skip
            (work / f"{site}.yaml").write_text(yaml.safe_dump(data))
            edge_port = engines.free_port()
            edges[site] = Role(
                ["edge", "--config", str(work / f"{site}.yaml"), "--data-dir", str(work / site),
                 "--port", str(edge_port)],
                {**base, "VIGIL_UPLINK_API_KEY": edge_keys[site]},
            )  # fmt: skip
            stack.callback(edges[site].kill)
            edges[site].spawn()
            edge_apis[site] = Client(f"http://127.0.0.1:{edge_port}")
        hub.wait_ready()
        hub_api = Client(f"https://127.0.0.1:{hub_port}", ca)
        dashboard = AlertSocket(f"https://127.0.0.1:{hub_port}", hub_api.token(), ca)
        stack.callback(dashboard.close)
        workers = [
            WorkerRole("analytics", str(hub_yaml), str(work / f"worker-{n}"), cluster_env)
            for n in (1, 2)
        ]
        for worker in workers:
            stack.callback(worker.kill)
            worker.spawn()
        for role in (*edges.values(), *workers):
            role.wait_ready()
        started = datetime.now(UTC) - timedelta(minutes=1)
        s3_keys = _s3_segment_keys(s3)
        listed_keys = sorted((k["name"], k["role"]) for k in hub_api.get("/api/v1/api-keys"))
        assert listed_keys == [("edge site-a", "operator"), ("edge site-b", "operator")]
        # A key made beside a running edge, on its own (embedded) database.
        local_key = create_key("site-a bridge", base, str(work / "site-a"))

        # Linked: both sites' alerts reach the hub (same ids) and its dashboard's WebSocket;
        # their segments land in S3; the hub sees both edges ONLINE.
        for site, cam in SITES.items():
            first = wait_for(f"an alert of {site} at the hub", lambda c=cam: hub_api.alerts(c), 120)
            assert {a["id"] for a in first} <= {a["id"] for a in edge_apis[site].alerts(cam)}
        wait_for(
            "alerts of both sites on the hub's WebSocket",
            lambda: {a["camera_id"] for a in dashboard.created()} >= set(SITES.values()),
            30,
        )
        wait_for(
            "segments of both sites in S3",
            lambda: all(any(k.startswith(f"{c}/") for k in s3_keys()) for c in SITES.values()),
            60,
        )
        online = wait_for(
            "both edges ONLINE at the hub with their queue depth",
            lambda: [
                e for e in hub_api.get("/api/v1/system/edges")
                if e["status"] == "ONLINE" and e["queue_depth"] is not None
            ],
            60,
        )  # fmt: skip
        assert sorted(e["edge_id"] for e in online) == sorted(SITES)
        for edge in online:
            contact = datetime.fromisoformat(edge["last_contact"])
            assert abs((datetime.now(UTC) - contact).total_seconds()) < 60, edge
        out, err = local_key.communicate(timeout=120)
        assert local_key.returncode == 0, err
        at_edge = edge_apis["site-a"].get("/api/v1/api-keys")
        assert [k["name"] for k in at_edge] == ["site-a bridge"]
        every_log = "".join(r.output for r in (hub, *workers, *edges.values()))
        assert not [s for s, k in edge_keys.items() if k in every_log], "an edge key was logged"
        assert S3_SECRET not in every_log

        # The WAN is down for both sites; the edges record and alert on their own.
        for link in links.values():
            link.cut()
        down = datetime.now(UTC)
        alerts_before = {s: len(edge_apis[s].alerts(c)) for s, c in SITES.items()}
        segments_before = {
            s: len(edge_apis[s].segment_keys(c, started.isoformat(), down.isoformat()))
            for s, c in SITES.items()
        }
        acked = edge_apis["site-a"].alerts("gate-a")[0]["id"]  # a guard acknowledges meanwhile
        answer = edge_apis["site-a"].post(f"/api/v1/alerts/{acked}/ack", {})
        assert answer["status"] == "acknowledged"
        for site, api in edge_apis.items():
            wait_for(
                f"{site} to report its uplink down",
                lambda a=api: (
                    "hub unreachable"
                    in a.get("/api/v1/system/health")["components"]["uplink"]["detail"]
                ),
                30,
            )
        # Meanwhile, in the cluster: an analytics worker dies mid-incident, and the hub is
        # restarted (on the same data and port; its dashboard reconnects).
        survivor = _kill_a_worker_mid_incident(kafka, db, workers)
        dashboard.close()
        hub.stop()
        hub.start()
        hub_api = Client(f"https://127.0.0.1:{hub_port}", ca)
        dashboard = AlertSocket(f"https://127.0.0.1:{hub_port}", hub_api.token(), ca)
        stack.callback(dashboard.close)
        for site, cam in SITES.items():
            wait_for(
                f"a new alert at {site} during the outage",
                lambda s=site, c=cam: len(edge_apis[s].alerts(c)) > alerts_before[s],
                max(5.0, OUTAGE_S - (datetime.now(UTC) - down).total_seconds()),
            )
        wait_for(
            "both edges OFFLINE at the hub",
            lambda: {
                e["edge_id"] for e in hub_api.get("/api/v1/system/edges") if e["status"] != "ONLINE"
            } >= set(SITES),
            max(5.0, OUTAGE_S + 10 - (datetime.now(UTC) - down).total_seconds()),
        )  # fmt: skip
        time.sleep(max(0.0, OUTAGE_S - (datetime.now(UTC) - down).total_seconds()))
        up = datetime.now(UTC)
        during = {s: _between(edge_apis[s].alerts(c), down, up) for s, c in SITES.items()}
        for site, cam in SITES.items():  # recording went on: a segment every SEGMENT_S
            made = edge_apis[site].segment_keys(cam, started.isoformat(), up.isoformat())
            assert len(made) >= segments_before[site] + 3, (site, segments_before[site], made)

        # The link is back: every alert, event and segment made until then arrives once.
        for link in links.values():
            link.restore()
        time.sleep(2 * SEGMENT_S)  # the segments open at `up` are closed by now
        deadline = time.monotonic() + WAIT_S
        while True:
            listed = s3_keys()
            wrong: dict[str, Any] = {}
            for site, cam in SITES.items():
                wrong |= _differences(hub_api, edge_apis[site], cam, started, up, listed)
            if not wrong or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert wrong == {}, f"the hub does not hold exactly what the edges made: {wrong}"
        # The restarted hub's dashboard got each alert of the outage once, as it arrived.
        pushed = [a["id"] for a in dashboard.created() if a["camera_id"] in SITES.values()]
        twice = sorted({i for i in pushed if pushed.count(i) > 1})
        assert twice == [], f"alerts pushed twice on the WebSocket: {twice}"
        outage_ids = {i for ids in during.values() for i in ids}
        not_pushed = sorted(outage_ids - set(pushed))
        assert outage_ids and not not_pushed, f"outage alerts not on the WebSocket: {not_pushed}"
        wait_for(
            "the acknowledgement made during the outage at the hub",
            lambda: hub_api.get(f"/api/v1/alerts/{acked}")["status"] == "acknowledged",
            30,
        )
        for site in SITES:  # the OFFLINE alert, raised once, resolved now that it is back
            try:
                wait_for(
                    f"{site}'s OFFLINE alert resolved at the hub",
                    lambda s=site: [
                        a["status"] for a in hub_api.alerts(s) if a["type"] == "edge_offline"
                    ] == ["resolved"],
                    60,
                )  # fmt: skip
            except AssertionError as err:  # say what the hub holds and did
                held = [(a["type"], a["status"], a["created_at"]) for a in hub_api.alerts(site)]
                edge_rows = hub_api.get("/api/v1/system/edges")
                raise AssertionError(  # the verdict last: CI reports may keep only the end
                    f"hub log tail:\n{hub.output[-6000:]}\n{err}\n"
                    f"hub alerts of {site}: {held}\nhub edges: {edge_rows}"
                ) from None
        wait_for(
            "both edges ONLINE again at the hub",
            lambda: {
                e["edge_id"] for e in hub_api.get("/api/v1/system/edges") if e["status"] == "ONLINE"
            } >= set(SITES),
            30,
        )  # fmt: skip
        stop_all([*edges.values(), survivor, hub])
