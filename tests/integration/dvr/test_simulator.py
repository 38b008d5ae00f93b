"""The DVR simulator against a client we did not write: FFmpeg's RTSP client, via PyAV.

Content is encoded once per session into a temporary cache (12 s loop, plus a
4 s loop for the wrap-around test).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from vigil.dvr.cpplus import build_rtsp_url
from vigil.dvr.simulator import BackgroundSimulator, DvrSimulator, ServerLimits
from vigil.dvr.simulator.content import MAIN_SPEC, SUB_SPEC, prepare_content

pytestmark = pytest.mark.timeout(120)

PASSWORD = "s3cret&pw"  # needs percent-encoding: proves the server decodes it
LOOP_S = 12.0
SHORT_LOOP_S = 4.0
TICKS_PER_FRAME = 90_000 // 25


@pytest.fixture(scope="session")
def sim_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("dvr-sim-cache")
    prepare_content((MAIN_SPEC, SUB_SPEC), cache_dir=cache, duration_s=LOOP_S)
    prepare_content((MAIN_SPEC, SUB_SPEC), cache_dir=cache, duration_s=SHORT_LOOP_S)
    return cache


@pytest.fixture(scope="module")
def sim(sim_cache: Path) -> Iterator[BackgroundSimulator]:
    simulator = DvrSimulator(port=0, password=PASSWORD, cache_dir=sim_cache, duration_s=LOOP_S)
    with BackgroundSimulator(simulator) as running:
        yield running


def open_rtsp(
    url: str, timeout_us: int = 5_000_000, transport: str = "tcp"
) -> av.container.InputContainer:
    return av.open(url, options={"rtsp_transport": transport, "timeout": str(timeout_us)})


@dataclass(frozen=True)
class Received:
    codec: str
    width: int
    height: int
    pts: list[int]
    keyframes: list[int]  # packet indices
    frames: list[np.ndarray]  # decoded, grey


def receive(url: str, packets: int, decode: bool = True) -> Received:
    """Read `packets` video packets (25 per second) from a live stream."""
    with open_rtsp(url) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        pts: list[int] = []
        keyframes: list[int] = []
        frames: list[np.ndarray] = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue  # FFmpeg's empty flush packet
            if packet.is_keyframe:
                keyframes.append(len(pts))
            pts.append(packet.pts if packet.pts is not None else -1)
            if decode:
                frames.extend(f.to_ndarray(format="gray") for f in packet.decode())
            if len(pts) == packets:
                break
        return Received(ctx.name, ctx.width, ctx.height, pts, keyframes, frames)


def assert_live_25fps(got: Received) -> None:
    known = [p for p in got.pts if p >= 0]  # the first packet may have no pts
    assert all(b - a == TICKS_PER_FRAME for a, b in itertools.pairwise(known)), known
    assert got.keyframes[0] == 0, "a new client starts at a keyframe"
    assert np.diff(got.keyframes).tolist() == [25] * (len(got.keyframes) - 1)


def test_main_stream_is_960x1080_h264_with_a_keyframe_every_second(
    sim: BackgroundSimulator,
) -> None:
    got = receive(sim.url(1), packets=75)
    assert (got.codec, got.width, got.height) == ("h264", 960, 1080)
    assert len(got.keyframes) == 3
    assert_live_25fps(got)
    assert len(got.frames) >= 70
    assert got.frames[0].shape == (1080, 960)
    # real footage: textured, and people move between the first and last second
    assert float(got.frames[-1].std()) > 20.0
    assert float(np.abs(got.frames[0].astype(int) - got.frames[-1]).mean()) > 0.5


def test_sub_stream_is_smaller(sim: BackgroundSimulator) -> None:
    got = receive(sim.url(1, stream=1), packets=30)
    assert (got.codec, got.width, got.height) == ("h264", 352, 288)
    assert_live_25fps(got)


def test_channels_show_different_footage(sim: BackgroundSimulator) -> None:
    with ThreadPoolExecutor(2) as pool:
        # 6 s apart in the loop, so they differ even if one joins a keyframe late
        one, two = pool.map(lambda ch: receive(sim.url(ch), packets=1), [1, 5])
    assert one.frames and two.frames
    assert float(np.abs(one.frames[0].astype(int) - two.frames[0]).mean()) > 1.0


def test_two_clients_on_one_channel_both_get_frames(sim: BackgroundSimulator) -> None:
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: receive(sim.url(4), 50, decode=False), range(2)))
    for got in results:
        assert len(got.pts) == 50
        assert_live_25fps(got)


@pytest.mark.parametrize(
    ("user", "password", "channel", "stream", "refusal"),
    [
        ("admin", "wrong", 1, 0, av.error.HTTPUnauthorizedError),
        ("intruder", PASSWORD, 1, 0, av.error.HTTPUnauthorizedError),
        ("admin", PASSWORD, 9, 0, av.error.HTTPNotFoundError),
        ("admin", PASSWORD, 1, 2, av.error.HTTPNotFoundError),
    ],
)
def test_bad_credentials_and_channels_are_refused(
    sim: BackgroundSimulator,
    user: str,
    password: str,
    channel: int,
    stream: int,
    refusal: type[Exception],
) -> None:
    url = build_rtsp_url("127.0.0.1", channel, username=user, password=password, port=sim.port)
    url = url.replace("&stream=0.sdp", f"&stream={stream}.sdp")
    with pytest.raises(refusal) as info:
        open_rtsp(url)
    expected = "401 Unauthorized" if refusal is av.error.HTTPUnauthorizedError else "404 Not Found"
    assert expected in str(info.value)


def test_udp_transport_is_refused(sim: BackgroundSimulator) -> None:
    with pytest.raises(av.error.FFmpegError):
        open_rtsp(sim.url(1), transport="udp")


def rtsp_exchange(sock: socket.socket, request: str) -> str:
    sock.sendall(request.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "server closed the connection"
        data += chunk
    return data.decode()


def test_protocol_details_seen_on_the_wire(sim: BackgroundSimulator) -> None:
    url = sim.url(2)
    with socket.create_connection(("127.0.0.1", sim.port), timeout=10) as sock:
        options = rtsp_exchange(sock, "OPTIONS * RTSP/1.0\r\nCSeq: 41\r\n\r\n")
        assert options.startswith("RTSP/1.0 200 OK\r\nCSeq: 41\r\n")
        assert "GET_PARAMETER" in options
        udp = rtsp_exchange(
            sock,
            f"SETUP {url}/trackID=0 RTSP/1.0\r\nCSeq: 42\r\n"
            "Transport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n",
        )
        assert udp.startswith("RTSP/1.0 461 Unsupported Transport\r\nCSeq: 42\r\n")
        tcp = rtsp_exchange(
            sock,
            f"SETUP {url}/trackID=0 RTSP/1.0\r\nCSeq: 43\r\n"
            "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
        )
        assert "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=" in tcp
        session = re.search(r"Session: ([0-9a-f]+);timeout=60", tcp)
        assert session is not None
        bad = rtsp_exchange(sock, f"PLAY {url} RTSP/1.0\r\nCSeq: 44\r\nSession: nope\r\n\r\n")
        assert bad.startswith("RTSP/1.0 454 Session Not Found")
        keepalive = rtsp_exchange(
            sock, f"GET_PARAMETER {url} RTSP/1.0\r\nCSeq: 45\r\nSession: {session[1]}\r\n\r\n"
        )
        assert keepalive.startswith("RTSP/1.0 200 OK\r\nCSeq: 45\r\n")
        teardown = rtsp_exchange(
            sock, f"TEARDOWN {url} RTSP/1.0\r\nCSeq: 46\r\nSession: {session[1]}\r\n\r\n"
        )
        assert teardown.startswith("RTSP/1.0 200 OK\r\nCSeq: 46\r\n")
        assert sock.recv(1) == b""  # the server closes after TEARDOWN


def test_pts_keep_rising_across_the_loop_wrap(sim_cache: Path) -> None:
    short = DvrSimulator(port=0, password=PASSWORD, cache_dir=sim_cache, duration_s=SHORT_LOOP_S)
    with BackgroundSimulator(short) as running:
        got = receive(running.url(3), packets=150)  # 6 s of a 4 s loop
    assert len(got.pts) == 150 and len(got.frames) >= 145
    assert_live_25fps(got)


def test_paused_channel_stalls_its_clients_only(sim: BackgroundSimulator) -> None:
    sim.call(lambda: sim.simulator.pause_channel(5))
    try:
        with pytest.raises(av.error.FFmpegError), open_rtsp(sim.url(5), 1_000_000) as container:
            next(p for p in container.demux(video=0) if p.size)
        assert len(receive(sim.url(6), packets=5, decode=False).pts) == 5
    finally:
        sim.call(lambda: sim.simulator.resume_channel(5))
    assert len(receive(sim.url(5), packets=5, decode=False).pts) == 5


def slow_client(port: int, url: str) -> socket.socket:
    """PLAY a stream, then never read: a client on a congested link."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    setup = rtsp_exchange(
        sock,
        f"SETUP {url}/trackID=0 RTSP/1.0\r\nCSeq: 1\r\n"
        "Transport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n",
    )
    session = re.search(r"Session: ([0-9a-f]+)", setup)
    assert session is not None
    sock.sendall(f"PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {session[1]}\r\n\r\n".encode())
    return sock


def test_a_slow_client_is_dropped_without_stalling_others(sim_cache: Path) -> None:
    limits = ServerLimits(max_buffer_bytes=256 * 1024)
    simulator = DvrSimulator(
        port=0,
        password=PASSWORD,
        cache_dir=sim_cache,
        duration_s=LOOP_S,
        limits=limits,
        send_buffer_bytes=32 * 1024,
    )
    with BackgroundSimulator(simulator) as running:
        stuck = slow_client(running.port, running.url(1))
        try:
            got = receive(running.url(1), packets=75, decode=False)
            assert_live_25fps(got)
            deadline = time.monotonic() + 30  # guard only
            while running.call(simulator.stats).clients_dropped == 0:
                assert time.monotonic() < deadline, "the slow client was never dropped"
                time.sleep(0.1)
        finally:
            stuck.close()


def drain(container: av.container.InputContainer) -> None:
    """Read until the stream ends. A reset ends it too; a silent server times out (raises)."""
    try:
        for _ in container.demux(video=0):
            pass
    except av.error.TimeoutError:
        raise
    except (av.error.FFmpegError, OSError):
        pass


async def test_after_stop_connections_fail(sim_cache: Path) -> None:
    simulator = DvrSimulator(port=0, password=PASSWORD, cache_dir=sim_cache, duration_s=LOOP_S)
    await simulator.start()
    url = simulator.url(7)
    try:
        got = await asyncio.to_thread(receive, url, 5, False)
        assert len(got.pts) == 5
        container = await asyncio.to_thread(open_rtsp, url)
    finally:
        await simulator.stop()
    with container:
        await asyncio.to_thread(drain, container)  # the open session was closed
    with pytest.raises((av.error.FFmpegError, OSError)):
        await asyncio.to_thread(open_rtsp, url)
    await simulator.stop()  # a second stop is harmless


def test_runs_as_a_child_process_and_exits_on_sigterm(sim_cache: Path) -> None:
    cmd = [sys.executable, "-m", "vigil.dvr.simulator", "--port", "0", "--channels", "2"]
    cmd += ["--user", "admin", "--password", PASSWORD, "--cache-dir", str(sim_cache)]
    cmd += ["--duration-s", str(LOOP_S)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            ready = re.search(r"dvr-sim ready on rtsp://127\.0\.0\.1:(\d+)", line)
            if ready:
                break
        assert ready, "".join(lines)
        drain = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
        drain.start()
        port = int(ready[1])
        url = build_rtsp_url("127.0.0.1", 2, username="admin", password=PASSWORD, port=port)
        assert receive(url, packets=10, decode=False).width == 960
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        drain.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = "".join(lines)
    assert "password=***&channel=1" in log and "password=***&channel=2" in log
    assert "s3cret" not in log, "the password leaked into the log"
