"""Image uploads read from a request: at most the size limit is held in memory, then checked
by `vigil.model.images.check_image` (type by content, dimensions from the header)."""

from __future__ import annotations

from fastapi import UploadFile

from vigil.model.images import MAX_UPLOAD_BYTES, ImageUpload, check_image


async def read_image(
    upload: UploadFile, *, field: str = "file", max_bytes: int = MAX_UPLOAD_BYTES
) -> ImageUpload:
    """Read at most `max_bytes` + 1 bytes (a bigger body is never held in memory whole)."""
    data = await upload.read(max_bytes + 1)
    return check_image(data, field=field, max_bytes=max_bytes)
