"""`DvrSimulator`: an asyncio RTSP server that behaves like the site's CP PLUS DVR."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from pathlib import Path
from types import TracebackType

from vigil.dvr.cpplus import (
    MAIN_STREAM,
    SUB_STREAM,
    build_rtsp_url,
    credentials_are_portable,
    mask_url,
)
from vigil.dvr.simulator.clockface import ClockProgram
from vigil.dvr.simulator.content import prepare_and_load
from vigil.dvr.simulator.live import ChannelGate, LiveClock, Program, SimulatorStats
from vigil.dvr.simulator.session import RtspConnection, ServerContext, ServerLimits
from vigil.dvr.simulator.sources import FrameSource, NightSource, StillSource, default_source
from vigil.errors import VigilError

logger = logging.getLogger(__name__)

MAX_CHANNELS = 64


class SimulatorError(VigilError):
    """The DVR simulator was misconfigured or could not start."""

    status_code = 422


def _load_programs(
    cache_dir: Path | None,
    duration_s: float | None,
    source: FrameSource,
    cancel: threading.Event,
) -> dict[int, Program]:
    main, sub = prepare_and_load(
        cache_dir=cache_dir, duration_s=duration_s, source=source, cancel=cancel
    )
    return {MAIN_STREAM: Program.from_content(main), SUB_STREAM: Program.from_content(sub)}


class DvrSimulator:
    """A CP PLUS CP-UVR-0801E1-CV2 look-alike: N channels of live 960x1080 H.264 at 25 fps.

    Serves `rtsp://host:port/user=<u>&password=<p>&channel=<n>&stream=<0|1>.sdp?`
    over RTSP/TCP-interleaved only, from content encoded once (see `content`).
    `port=0` binds an ephemeral port; read `port` after `start()`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8554,
        channels: int = 8,
        username: str = "admin",
        password: str,
        cache_dir: Path | str | None = None,
        duration_s: float | None = None,
        source: FrameSource | None = None,
        limits: ServerLimits | None = None,
        send_buffer_bytes: int | None = None,
        clock_channels: tuple[int, ...] = (),
        frozen_channels: tuple[int, ...] = (),
        night_channels: tuple[int, ...] = (),
    ) -> None:
        if not 1 <= channels <= MAX_CHANNELS:
            raise SimulatorError(f"channels must be 1..{MAX_CHANNELS}, got {channels}")
        if not username:
            raise SimulatorError("the simulator's user name must not be empty")
        if not 0 <= port <= 65535:
            raise SimulatorError(f"port must be 0..65535, got {port}")
        if duration_s is not None and duration_s <= 0:
            raise SimulatorError(f"duration_s must be positive, got {duration_s}")
        self._host = host
        self._port = port
        self._channels = channels
        self._username = username
        self._password = password
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._duration_s = duration_s
        self._source = source
        self._limits = limits or ServerLimits()
        self._send_buffer_bytes = send_buffer_bytes
        for channel in clock_channels:
            if not 1 <= channel <= channels:
                raise SimulatorError(f"clock channel {channel} is not one of 1..{channels}")
        self._clock_channels = clock_channels
        for kind, chosen in (("frozen", frozen_channels), ("night", night_channels)):
            for channel in chosen:
                if not 1 <= channel <= channels:
                    raise SimulatorError(f"{kind} channel {channel} is not one of 1..{channels}")
        self._frozen_channels = frozen_channels
        self._night_channels = night_channels
        self._server: asyncio.Server | None = None
        self._ctx: ServerContext | None = None
        self._connections: dict[RtspConnection, asyncio.Task[None]] = {}

    # --- lifecycle --------------------------------------------------------------

    async def start(self) -> None:
        """Prepare content (encodes on first use, in a thread), then listen."""
        if self._server is not None:
            raise SimulatorError("the simulator is already running")
        cancel = threading.Event()
        source: FrameSource = (
            self._source if self._source is not None else await asyncio.to_thread(default_source)
        )
        try:
            programs = await asyncio.to_thread(
                _load_programs, self._cache_dir, self._duration_s, source, cancel
            )
            # One GOP of a still picture, for channels frozen now or later, and a 4 s night
            # loop when a channel shows one (cached like the footage; encoding them the first
            # time costs about a CPU-second and a few CPU-seconds).
            stills = await asyncio.to_thread(
                _load_programs, self._cache_dir, None, StillSource(source), cancel
            )
            nights = (
                await asyncio.to_thread(
                    _load_programs, self._cache_dir, None, NightSource(source), cancel
                )
                if self._night_channels
                else {}
            )
        except asyncio.CancelledError:
            cancel.set()  # stops the encoder thread at its next frame
            raise
        content = programs[MAIN_STREAM].content
        clock = LiveClock(content.fps, content.gop)
        self._ctx = ServerContext(
            username=self._username,
            password=self._password,
            channels=self._channels,
            programs=programs,
            clock=clock,
            clock_programs={n: ClockProgram(clock) for n in self._clock_channels},
            gates={n: ChannelGate() for n in range(1, self._channels + 1)},
            limits=self._limits,
            still_programs=stills,
            frozen=set(self._frozen_channels),
            night_programs=nights,
            night=set(self._night_channels),
        )
        try:
            self._server = await asyncio.start_server(self._on_client, self._host, self._port)
        except OSError as err:
            raise SimulatorError(f"cannot listen on {self._host}:{self._port}: {err}") from err
        self._port = self._server.sockets[0].getsockname()[1]
        logger.info(
            "dvr-sim: %d channels, %.0f s loop, main %dx%d, sub %dx%d, %d fps, GOP %d",
            self._channels,
            content.duration_s,
            content.width,
            content.height,
            programs[SUB_STREAM].content.width,
            programs[SUB_STREAM].content.height,
            content.fps,
            content.gop,
        )

    async def stop(self) -> None:
        """Stop listening and close every session. Safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._connections.values())
        for conn in list(self._connections):
            conn.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
        logger.info("dvr-sim: stopped")

    async def __aenter__(self) -> DvrSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._ctx is None or self._server is None:
            writer.transport.abort()
            return
        if self._send_buffer_bytes:
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self._send_buffer_bytes)
        conn = RtspConnection(self._ctx, reader, writer)
        task = asyncio.current_task()
        assert task is not None
        self._connections[conn] = task
        try:
            await conn.run()
        finally:
            self._connections.pop(conn, None)

    # --- addresses ----------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        """The listening port (the bound one after `start()` when created with port 0)."""
        return self._port

    @property
    def channels(self) -> int:
        return self._channels

    def _url_host(self) -> str:
        """Where clients on this machine reach the server (wildcard binds map to loopback)."""
        return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self._host, self._host)

    def url(self, channel: int, stream: int = MAIN_STREAM) -> str:
        """The CP PLUS URL of `channel` (from 1); stream 0 main, 1 sub. Holds the password."""
        return build_rtsp_url(
            self._url_host(),
            channel,
            stream,
            username=self._username,
            password=self._password,
            port=self._port,
        )

    # --- fault hooks and stats ------------------------------------------------------

    def pause_channel(self, channel: int) -> None:
        """Stop sending on `channel` (every stream and client) while keeping connections open."""
        self._gate(channel).pause()

    def resume_channel(self, channel: int) -> None:
        """Resume a paused channel at the live position (next keyframe)."""
        self._gate(channel).resume()

    def freeze_channel(self, channel: int) -> None:
        """From its next keyframe, `channel` loops one still picture on every stream (a stuck
        encoder or replayed still): the connection and the frame rate stay healthy."""
        self._gate(channel)  # checks the channel
        assert self._ctx is not None
        self._ctx.frozen.add(channel)

    def unfreeze_channel(self, channel: int) -> None:
        """From its next keyframe, `channel` shows its live footage again."""
        self._gate(channel)
        assert self._ctx is not None
        self._ctx.frozen.discard(channel)

    def disconnect_all(self) -> int:
        """Drop every client connection, like a DVR reboot; returns how many were dropped."""
        conns = list(self._connections)
        for conn in conns:
            conn.close()
        return len(conns)

    def stats(self) -> SimulatorStats:
        if self._ctx is None:
            raise SimulatorError("the simulator has not been started")
        return self._ctx.counters.snapshot()

    def _gate(self, channel: int) -> ChannelGate:
        if self._ctx is None:
            raise SimulatorError("the simulator has not been started")
        if channel not in self._ctx.gates:
            raise SimulatorError(f"no channel {channel}: channels are 1..{self._channels}")
        return self._ctx.gates[channel]

    # --- blocking entry point ----------------------------------------------------------

    def serve_forever(self) -> None:
        """Start, log the channel URLs (masked) and the ready line, serve until SIGINT/SIGTERM."""
        asyncio.run(self._serve_until_signalled())

    async def _serve_until_signalled(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
        try:
            starting = asyncio.create_task(self.start())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                logger.info("dvr-sim: interrupted while preparing content")
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
                return
            stopping.cancel()
            starting.result()  # re-raises a start failure
            self._log_ready()
            await stop.wait()
            logger.info("dvr-sim: signal received, shutting down")
        finally:
            await self.stop()
            for sig in installed:
                loop.remove_signal_handler(sig)

    def _log_ready(self) -> None:
        for channel in range(1, self._channels + 1):
            logger.info("dvr-sim channel %d: %s", channel, mask_url(self.url(channel)))
        logger.info("dvr-sim sub streams: the same URLs with stream=1")
        if not credentials_are_portable(self._username, self._password):
            logger.warning(
                "dvr-sim: the user name or password needs percent-encoding in the URL; "
                "a real CP PLUS DVR may not accept such credentials"
            )
        host = self._url_host()
        host = f"[{host}]" if ":" in host else host
        logger.info("dvr-sim ready on rtsp://%s:%d", host, self._port)


def run_simulator(
    host: str,
    port: int,
    channels: int,
    username: str,
    password: str,
    cache_dir: Path | str | None = None,
    duration_s: float | None = None,
    clock_channels: tuple[int, ...] = (),
    frozen_channels: tuple[int, ...] = (),
    night_channels: tuple[int, ...] = (),
) -> None:
    """Blocking entry point for `vigil dvr-sim`: serve until SIGINT/SIGTERM."""
    DvrSimulator(
        host=host,
        port=port,
        channels=channels,
        username=username,
        password=password,
        cache_dir=cache_dir,
        duration_s=duration_s,
        clock_channels=clock_channels,
        frozen_channels=frozen_channels,
        night_channels=night_channels,
    ).serve_forever()
