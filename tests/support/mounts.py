"""Real filesystem faults for tests: a size-limited tmpfs and a read-only bind mount.

Both need root (or CAP_SYS_ADMIN) for `mount`; without it the test fails with that reason.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"`mount {' '.join(args)}` failed: {done.stderr.strip() or done.returncode}. This "
            "test mounts a size-limited tmpfs or a read-only bind mount: run it as root or "
            "with CAP_SYS_ADMIN.",
            pytrace=False,
        )


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextlib.contextmanager
def tmpfs(path: Path, size_mb: int) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(path))
    try:
        yield path
    finally:
        _umount(path)  # lazily: a child may still hold a file open for a moment


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` read-only (a read-only bind mount over it), then writable again: every new
    open for writing, rename and delete under it gets EROFS."""
    _mount("--bind", str(path), str(path))
    try:
        _mount("-o", "remount,ro,bind", str(path))
        yield
        _mount("-o", "remount,rw,bind", str(path))
    finally:
        _umount(path)  # the bind mount only; what is below stays
