"""The live HLS writer on real H.264 packets: a rolling playlist of decodable 1 s segments,
packets left intact for the recorder, and recovery after the disk refuses its files."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from tests.integration.media.recorded import encode_clip
from vigil.edge.live_hls import LiveHlsWriter
from vigil.storage.recordings import FILE_NAME_RE


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return encode_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=12)


def _packets(clip: Path, writer: LiveHlsWriter) -> Iterator[tuple[int, av.Packet]]:
    """The clip's numbered packets (without the empty flush packet), once `writer` has begun
    on its video stream."""
    with av.open(str(clip)) as inp:
        stream = inp.streams.video[0]
        writer.begin(stream)
        yield from enumerate(p for p in inp.demux(stream) if p.dts is not None)


def _names(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def test_rolling_playlist_of_decodable_segments_and_packets_left_intact(
    clip: Path, tmp_path: Path
) -> None:
    live = tmp_path / "live" / "gate"
    writer = LiveHlsWriter("gate", live)
    for _, packet in _packets(clip, writer):
        before = (packet.pts, packet.dts, bytes(packet), packet.is_keyframe)
        writer.write(packet)
        assert (packet.pts, packet.dts, bytes(packet), packet.is_keyframe) == before
    assert writer.errors == 0
    playlist = (live / "live.m3u8").read_text()
    assert "#EXT-X-TARGETDURATION:1" in playlist and "#EXT-X-ENDLIST" not in playlist
    names = _names(playlist)
    # 12 s: segments 0..11; the 12th is still open, the 6 before it are listed.
    assert len(names) == 6 and names[-1] == "seg-1-10.m4s"
    on_disk = sorted(p.name for p in live.iterdir())
    assert all(FILE_NAME_RE.fullmatch(n) for n in on_disk)
    assert "seg-1-0.m4s" not in on_disk  # old segments are deleted
    data = (live / "init-1.mp4").read_bytes() + (live / names[-2]).read_bytes()
    with av.open(io.BytesIO(data)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 25 and frames[0].key_frame


def test_a_refused_write_is_counted_and_the_writer_reopens_at_the_next_keyframe(
    clip: Path, tmp_path: Path
) -> None:
    live = tmp_path / "live" / "gate"
    writer = LiveHlsWriter("gate", live)
    for i, packet in _packets(clip, writer):
        if i == 75:  # 3 s in: the directory vanishes and a file takes its place
            shutil.rmtree(live)
            live.write_text("not a directory")
        if i == 150:  # 6 s in: the disk is usable again
            live.unlink()
        writer.write(packet)  # never raises
    assert writer.errors >= 1
    names = _names((live / "live.m3u8").read_text())
    # Reopened once the disk took files again, numbering on after the lost ones; playable.
    generation = names[0].split("-")[1]
    assert int(generation) >= 2 and all(n.startswith(f"seg-{generation}-") for n in names)
    assert int(names[0].rsplit("-", 1)[1].split(".")[0]) >= 3  # 0..2 came before the loss
    init = (live / f"init-{generation}.mp4").read_bytes()
    with av.open(io.BytesIO(init + (live / names[-1]).read_bytes())) as container:
        assert next(container.decode(video=0)).key_frame
