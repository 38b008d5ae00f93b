"""One RTSP client connection: request handling and the paced RTP sender."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass, field

from vigil.dvr.cpplus import CpPlusPath, CpPlusUrlError, mask_url, parse_cpplus_path
from vigil.dvr.simulator.clockface import ClockProgram
from vigil.dvr.simulator.live import ChannelGate, Counters, LiveClock, Program, channel_offset
from vigil.dvr.simulator.rtp import wire_access_unit
from vigil.dvr.simulator.rtsp import (
    TRACK_CONTROL,
    InterleavedPacket,
    RtspProtocolError,
    RtspRequest,
    build_sdp,
    content_base,
    format_response,
    parse_transport,
    read_message,
    split_request_uri,
)

logger = logging.getLogger(__name__)

PUBLIC_METHODS = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Per-client limits. Bytes, seconds."""

    session_timeout_s: int = 60
    max_buffer_bytes: int = 2 * 1024 * 1024  # ~8 s of main stream queued: then drop the client
    max_lag_s: float = 2.0  # sender woke this late (event loop starved): resync to live


@dataclass(slots=True)
class ServerContext:
    """What every connection shares; owned by `DvrSimulator`, used only on its event loop."""

    username: str
    password: str
    channels: int
    programs: dict[int, Program]  # by stream number: 0 main, 1 sub
    clock: LiveClock
    gates: dict[int, ChannelGate]
    limits: ServerLimits
    counters: Counters = field(default_factory=Counters)
    # Channels encoded live with the wall clock burnt in (both streams), see clockface.py.
    clock_programs: dict[int, ClockProgram] = field(default_factory=dict)
    # Fault: channels in `frozen` loop one still GOP (`still_programs`, by stream number)
    # from their next keyframe on, like a stuck encoder; they move again when removed.
    still_programs: dict[int, Program] = field(default_factory=dict)
    frozen: set[int] = field(default_factory=set)
    # Channels in `night` loop a dark, static, noisy scene (`night_programs`) instead.
    night_programs: dict[int, Program] = field(default_factory=dict)
    night: set[int] = field(default_factory=set)

    def footage(self, channel: int, stream: int) -> Program:
        """The looped footage `channel` shows on `stream` (the night scene on night channels)."""
        if channel in self.night and stream in self.night_programs:
            return self.night_programs[stream]
        return self.programs[stream]


class _Reply(Exception):
    """Raised inside a handler to answer with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class RtspConnection:
    """Serves one TCP connection: at most one session, one track, TCP-interleaved RTP."""

    def __init__(
        self, ctx: ServerContext, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._ctx = ctx
        self._reader = reader
        self._writer = writer
        peer = writer.get_extra_info("peername")
        self._peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self._session_id: str | None = None
        self._target: CpPlusPath | None = None
        self._rtp_channel = 0
        self._ssrc = secrets.randbits(32)
        self._seq = secrets.randbits(16)
        self._ts_base = secrets.randbits(32)
        self._sender: asyncio.Task[None] | None = None
        self._play_from = 0  # global frame number the next PLAY starts at
        self._closing = False

    async def run(self) -> None:
        """Answer requests until the client leaves, tears down, idles out or is dropped."""
        idle_s = 2 * self._ctx.limits.session_timeout_s
        logger.debug("dvr-sim: connection from %s", self._peer)
        try:
            while not self._closing:
                async with asyncio.timeout(idle_s):
                    message = await read_message(self._reader)
                if message is None:
                    break
                if isinstance(message, InterleavedPacket):
                    continue  # RTCP receiver reports: nothing to do with them
                await self._handle(message)
        except TimeoutError:
            logger.info("dvr-sim: %s silent for %d s, closing", self._peer, idle_s)
        except (RtspProtocolError, asyncio.IncompleteReadError, ConnectionError) as err:
            logger.info("dvr-sim: closing %s: %s", self._peer, err)
        finally:
            await self._cleanup()

    def close(self) -> None:
        """Drop the connection now (server shutdown or fault injection); `run` then ends."""
        self._closing = True
        self._writer.transport.abort()

    # --- requests -------------------------------------------------------------

    async def _handle(self, request: RtspRequest) -> None:
        logger.debug("dvr-sim: %s %s %s", self._peer, request.method, mask_url(request.uri))
        handler = {
            "OPTIONS": self._options,
            "DESCRIBE": self._describe,
            "SETUP": self._setup,
            "PLAY": self._play,
            "PAUSE": self._pause,
            "TEARDOWN": self._teardown,
            "GET_PARAMETER": self._keepalive,
            "SET_PARAMETER": self._keepalive,
        }.get(request.method)
        start_sending_from: int | None = None
        try:
            if request.version != "RTSP/1.0":
                raise _Reply(505)
            if handler is None:
                raise _Reply(501)
            headers, body = handler(request)
            if request.method == "PLAY" and self._sender is None:
                start_sending_from = self._play_from
            response = format_response(200, request.cseq, headers, body)
        except _Reply as reply:
            response = format_response(reply.status, request.cseq)
        self._writer.write(response)
        if start_sending_from is not None:
            self._sender = asyncio.create_task(self._send_guarded(start_sending_from))
        if request.method == "TEARDOWN":
            self._closing = True
            with contextlib.suppress(ConnectionError):
                await self._writer.drain()

    def _options(self, request: RtspRequest) -> tuple[list[tuple[str, str]], bytes]:
        return [("Public", PUBLIC_METHODS)], b""

    def _resolve(self, uri: str, *, allow_track: bool) -> CpPlusPath:
        target = split_request_uri(uri)
        if target is None:
            raise _Reply(404)
        try:
            path = parse_cpplus_path(target.path)
        except CpPlusUrlError as err:
            logger.info("dvr-sim: %s asked for %s: %s", self._peer, mask_url(uri), err.detail)
            raise _Reply(404) from err
        user_ok = hmac.compare_digest(path.user.encode(), self._ctx.username.encode())
        password_ok = hmac.compare_digest(path.password.encode(), self._ctx.password.encode())
        if not (user_ok and password_ok):
            logger.info("dvr-sim: %s: wrong user or password in %s", self._peer, mask_url(uri))
            raise _Reply(401)
        if not 1 <= path.channel <= self._ctx.channels or path.stream not in self._ctx.programs:
            logger.info("dvr-sim: %s: no such channel/stream %s", self._peer, mask_url(uri))
            raise _Reply(404)
        if target.control not in ("", TRACK_CONTROL) or (target.control and not allow_track):
            raise _Reply(404)
        return path

    def _describe(self, request: RtspRequest) -> tuple[list[tuple[str, str]], bytes]:
        path = self._resolve(request.uri, allow_track=False)
        sockname = self._writer.get_extra_info("sockname")
        server_ip = sockname[0] if isinstance(sockname, tuple) else "0.0.0.0"
        program = self._ctx.clock_programs.get(path.channel) or self._ctx.footage(
            path.channel, path.stream
        )
        sdp = build_sdp(
            program.content,
            server_ip=server_ip,
            session_id=secrets.randbits(31),
            name=f"channel {path.channel} {'main' if path.stream == 0 else 'sub'} stream",
            bitrate_kbps=program.bitrate_kbps,
        )
        headers = [("Content-Type", "application/sdp"), ("Content-Base", content_base(request.uri))]
        return headers, sdp

    def _setup(self, request: RtspRequest) -> tuple[list[tuple[str, str]], bytes]:
        path = self._resolve(request.uri, allow_track=True)
        transport = parse_transport(request.headers.get("transport", ""))
        if not transport.tcp:
            raise _Reply(461)  # like the real DVR behind a NAT: TCP interleaved only
        if self._session_id is not None:
            if request.headers.get("session", "").split(";")[0] != self._session_id:
                raise _Reply(459)  # one session per connection
        else:
            self._session_id = secrets.token_hex(8)
            self._ctx.counters.sessions_total += 1
            self._ctx.counters.sessions_active += 1
        self._target, self._rtp_channel = path, transport.rtp_channel
        reply_transport = (
            f"RTP/AVP/TCP;unicast;interleaved={transport.rtp_channel}-{transport.rtcp_channel};"
            f'ssrc={self._ssrc:08X};mode="play"'
        )
        return [("Transport", reply_transport), self._session_header()], b""

    def _session_header(self) -> tuple[str, str]:
        return ("Session", f"{self._session_id};timeout={self._ctx.limits.session_timeout_s}")

    def _check_session(self, request: RtspRequest) -> CpPlusPath:
        sent = request.headers.get("session", "").split(";")[0].strip()
        if self._session_id is None or sent != self._session_id:
            raise _Reply(454)
        assert self._target is not None  # set together with the session id
        return self._target

    def _play(self, request: RtspRequest) -> tuple[list[tuple[str, str]], bytes]:
        target = self._check_session(request)
        program = self._ctx.programs[target.stream]
        self._play_from = self._ctx.clock.next_keyframe()
        rtptime = self._rtp_time(program, self._play_from)
        track_url = content_base(request.uri) + TRACK_CONTROL
        rtp_info = f"url={track_url};seq={self._seq};rtptime={rtptime}"
        headers = [("Range", "npt=0.000-"), ("RTP-Info", rtp_info), self._session_header()]
        return headers, b""

    def _pause(self, request: RtspRequest) -> tuple[list[tuple[str, str]], bytes]:
        self._check_session(request)
        self._stop_sender()
        return [self._session_header()], b""

    def _teardown(self, request: RtspRequest) -> tuple[list[tuple[str, str]], bytes]:
        self._check_session(request)
        self._stop_sender()
        return [self._session_header()], b""

    def _keepalive(self, request: RtspRequest) -> tuple[list[tuple[str, str]], bytes]:
        return ([self._session_header()] if self._session_id else []), b""

    # --- RTP ------------------------------------------------------------------

    def _rtp_time(self, program: Program, frame: int) -> int:
        return (self._ts_base + frame * program.ticks_per_frame) & 0xFFFFFFFF

    async def _send_guarded(self, frame: int) -> None:
        try:
            await self._send(frame)
        except Exception:  # a bug here must end this client, loudly, and no other
            logger.exception("dvr-sim: sender for %s failed", self._peer)
            self.close()

    async def _send(self, frame: int) -> None:
        """Send frames from global frame `frame` on, each at its deadline, until cancelled."""
        assert self._target is not None
        ctx, target = self._ctx, self._target
        program = ctx.footage(target.channel, target.stream)
        gate, clock = ctx.gates[target.channel], ctx.clock
        frames, gop = program.content.frame_count, program.content.gop
        offset = channel_offset(target.channel, ctx.channels, frames, gop)
        still = ctx.still_programs.get(target.stream)
        frozen = False  # decided at each keyframe, so the decoder never loses its reference
        transport = self._writer.transport
        while not transport.is_closing():
            if gate.paused:
                await gate.wait_running()
                frame = clock.next_keyframe()  # a live feed resumes at "now", not where it froze
            delay = clock.deadline_s(frame) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue  # re-check the gate and the transport after sleeping
            if -delay > ctx.limits.max_lag_s:
                logger.warning("dvr-sim: sender for %s %.1f s late, resyncing", self._peer, -delay)
                frame = clock.next_keyframe()
                continue
            live = ctx.clock_programs.get(target.channel)
            if frame % gop == 0:
                frozen = still is not None and target.channel in ctx.frozen
            if live is None and frozen and still is not None:
                payloads = still.payloads[frame % still.content.frame_count]
            elif live is None:
                payloads = program.payloads[(frame + offset) % frames]
            elif (encoded := live.payloads(frame)) is not None:
                payloads = encoded
            else:  # this session fell behind the clock channel's encoder
                frame = clock.next_keyframe()
                continue
            data = wire_access_unit(
                payloads,
                seq=self._seq,
                timestamp=self._rtp_time(program, frame),
                ssrc=self._ssrc,
                channel=self._rtp_channel,
            )
            transport.write(data)
            self._seq = (self._seq + len(payloads)) & 0xFFFF
            ctx.counters.frames_sent += 1
            ctx.counters.bytes_sent += len(data)
            frame += 1
            if transport.get_write_buffer_size() > ctx.limits.max_buffer_bytes:
                logger.warning(
                    "dvr-sim: dropping %s (channel %d): %d bytes queued, client too slow",
                    self._peer,
                    target.channel,
                    transport.get_write_buffer_size(),
                )
                ctx.counters.clients_dropped += 1
                self._closing = True
                transport.abort()  # wakes the reader loop with a connection error / EOF
                return

    def _stop_sender(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            self._sender = None

    async def _cleanup(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            await asyncio.wait({sender})
        if self._session_id is not None:
            self._ctx.counters.sessions_active -= 1
            self._session_id = None
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
        logger.debug("dvr-sim: connection from %s closed", self._peer)
