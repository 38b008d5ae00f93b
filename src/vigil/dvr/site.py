"""The RTSP URL of each of the site's cameras, built in one place from site.yaml: a camera's
own `url`, or a channel of the site's DVR. The URLs hold passwords: log them only through
`mask_url`."""

from __future__ import annotations

from vigil.config import CameraConfig, DvrSection, SiteConfig
from vigil.dvr.cpplus import build_rtsp_url


def channel_url(dvr: DvrSection, channel: int, stream: int) -> str:
    """The DVR's URL of one channel (counted from 1) and stream (0 main, 1 sub)."""
    return build_rtsp_url(
        dvr.host,
        channel,
        stream,
        username=dvr.username,
        password=dvr.password.get_secret_value() if dvr.password else "",
        port=dvr.rtsp_port,
    )


def camera_url(config: SiteConfig, camera: CameraConfig, stream: int | None = None) -> str:
    """Where to pull `camera`: its own `url` (a camera given by URL has only that stream), else
    its DVR channel's `stream`, by default the one the camera is configured with."""
    if camera.url is not None:
        return camera.url.get_secret_value()
    return channel_url(config.dvr, camera.dvr_channel, camera.stream if stream is None else stream)
