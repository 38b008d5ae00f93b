"""Try each camera once: can we connect, and what does it send? Used by `config check --probe`."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.edge.stream import StreamReader
from vigil.errors import StreamAuthError, StreamError


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    detail: str
    auth_failed: bool = False
    # What the stream sends, when it opened: codec name, picture size in pixels, frame rate.
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None


def probe_stream(url: str, timeout_s: float = 5.0) -> ProbeResult:
    """Open `url`, read its stream parameters, close. Messages never contain the password."""
    reader = StreamReader(url, open_timeout_s=timeout_s, stall_timeout_s=timeout_s)
    try:
        reader.open()
        ctx = reader.video_stream.codec_context
        rate = reader.video_stream.average_rate or reader.video_stream.guessed_rate
        fps = f", {float(rate):.0f} fps" if rate else ""
        return ProbeResult(
            True,
            f"{ctx.name} {ctx.width}x{ctx.height}{fps}",
            codec=ctx.name,
            width=ctx.width,
            height=ctx.height,
            fps=round(float(rate), 2) if rate else None,
        )
    except StreamAuthError as err:
        return ProbeResult(False, err.detail, auth_failed=True)
    except StreamError as err:
        return ProbeResult(False, err.detail)
    finally:
        reader.close()
