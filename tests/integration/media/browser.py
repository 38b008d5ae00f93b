"""The Chromium page the media tests play video in (shared with `vigil bench live`)."""

from bench.live_page import media_page

__all__ = ["media_page"]
