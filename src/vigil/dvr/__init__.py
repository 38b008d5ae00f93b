"""DVR access: CP PLUS RTSP URLs (`cpplus`) and an RTSP DVR simulator (`simulator`).

`mask_url` hides credentials in any URL that is logged or shown.
"""

from vigil.dvr.cpplus import (
    CpPlusPath,
    CpPlusUrlError,
    build_rtsp_url,
    channel_urls,
    mask_url,
    parse_cpplus_path,
)

__all__ = [
    "CpPlusPath",
    "CpPlusUrlError",
    "build_rtsp_url",
    "channel_urls",
    "mask_url",
    "parse_cpplus_path",
]
