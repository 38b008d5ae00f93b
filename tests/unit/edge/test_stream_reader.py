from __future__ import annotations

import socket
import threading
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import pytest

from tests.unit.edge.edge_clips import CLIP_S, FPS
from tests.unit.edge.rtsp_stub import RtspStub
from vigil.clock import FakeClock
from vigil.edge.stream import (
    StreamInterrupted,
    StreamReader,
    StreamTimeline,
    interrupts_supported,
    url_username,
)
from vigil.errors import StreamAuthError, StreamError


def test_wrong_password_is_an_auth_error_naming_the_user_not_the_password() -> None:
    with RtspStub("401 Unauthorized") as dvr, pytest.raises(StreamAuthError) as caught:
        StreamReader(dvr.url("admin", "s3cret"), open_timeout_s=5).open()
    detail = caught.value.detail
    assert "user 'admin'" in detail and "wrong password" in detail
    assert "s3cret" not in detail and "s3cret" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_unknown_channel_is_channel_not_found() -> None:
    with RtspStub("404 Not Found") as dvr, pytest.raises(StreamError) as caught:
        StreamReader(dvr.url(), open_timeout_s=5).open()
    assert not isinstance(caught.value, StreamAuthError)
    assert "channel not found" in caught.value.detail
    assert "s3cret" not in caught.value.detail and "password=***" in caught.value.detail


def test_closed_port_is_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"rtsp://127.0.0.1:{port}/user=admin&password=s3cret&channel=1&stream=0.sdp?"
    with pytest.raises(StreamError, match=r"connection refused by 127\.0\.0\.1"):
        StreamReader(url, open_timeout_s=5).open()


def test_silent_dvr_times_out() -> None:
    with RtspStub(silent=True) as dvr:
        reader = StreamReader(dvr.url(), open_timeout_s=1, stall_timeout_s=1)
        with pytest.raises(StreamError, match=r"no answer from .* within 1 s"):
            reader.open()


def test_interrupt_cuts_a_blocked_open_short() -> None:
    assert interrupts_supported()  # PyAV still reads `time.monotonic` in its interrupt callback
    with RtspStub(silent=True) as dvr:
        reader = StreamReader(dvr.url(), open_timeout_s=60, stall_timeout_s=60)
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                reader.open()
            except BaseException as err:
                outcome.append(err)

        thread = threading.Thread(target=run)
        thread.start()
        while not dvr._conns:  # connected and now waiting for an answer that never comes
            threading.Event().wait(0.02)
        reader.interrupt()
        thread.join(timeout=10)  # guard only: without the interrupt this would take 60 s
        assert not thread.is_alive()
        reader.close()
    assert isinstance(outcome[0], StreamInterrupted)


def test_reads_every_video_packet_of_a_file_then_reports_the_end(clips: dict[str, Path]) -> None:
    with StreamReader(str(clips["gop1"])) as reader:
        assert (reader.video_stream.width, reader.video_stream.height) == (320, 240)
        packets = []
        with pytest.raises(StreamError, match="ended"):
            for packet in reader.packets():
                packets.append(packet)
    assert len(packets) == CLIP_S * FPS
    assert all(p.size > 0 and p.dts is not None for p in packets)


def test_missing_file_is_a_stream_error(tmp_path: Path) -> None:
    with pytest.raises(StreamError, match="cannot open"):
        StreamReader(str(tmp_path / "nope.mp4")).open()


@pytest.mark.parametrize(
    ("url", "user"),
    [
        ("rtsp://10.0.0.2:554/user=admin&password=x&channel=1&stream=0.sdp?", "admin"),
        ("rtsp://op%20one:pw@10.0.0.2/live", "op%20one"),
        ("rtsp://10.0.0.2/live", None),
    ],
)
def test_url_username(url: str, user: str | None) -> None:
    assert url_username(url) == user


def test_timeline_maps_stream_time_to_wall_clock(fake_clock: FakeClock) -> None:
    timeline = StreamTimeline(fake_clock, Fraction(1, 90_000), first_pts=900_000)
    start = fake_clock.now()
    assert timeline.wall(900_000) == start
    assert timeline.wall(900_000 + 45_000) == start + timedelta(seconds=0.5)
    fake_clock.advance(100)  # the clock moves on; the mapping does not
    assert timeline.wall(900_000 + 90_000 * 100) == start + timedelta(seconds=100)


def test_timeline_reanchors_when_stream_time_jumps(fake_clock: FakeClock) -> None:
    timeline = StreamTimeline(fake_clock, Fraction(1, 90_000), first_pts=0, max_drift_s=30)
    fake_clock.advance(10)
    assert timeline.wall(90_000 * 10) == fake_clock.now()
    jumped = timeline.wall(90_000 * 3600)  # camera clock leapt an hour ahead
    assert jumped == fake_clock.now() and timeline.reanchors == 1
    fake_clock.advance(1)
    assert timeline.wall(90_000 * 3601) == fake_clock.now()
