"""Real footage for the vision tests: Debian opencv-doc's pedestrian video `vtest.avi`.

`vtest.avi` is 768x576, 10 fps, 795 frames of people walking across a campus, seen from above.
`PEOPLE_IN_VTEST` lists, for a few evenly spaced frames, the centre (x, y in pixels) of every
person a human can see in that frame, labelled by eye; people partly hidden (behind the sign
post) or in tight groups are included, so a detector is not expected to find them all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
VTEST = OPENCV_DATA / "vtest.avi"

Frame = npt.NDArray[np.uint8]

PEOPLE_IN_VTEST: dict[int, list[tuple[int, int]]] = {
    100: [(360, 235), (392, 218), (437, 222), (505, 185), (528, 185), (602, 195), (231, 75)],
    200: [(95, 185), (235, 230), (502, 183), (687, 127), (711, 127), (631, 315), (724, 303)],
    300: [(202, 195), (255, 190), (311, 193), (330, 252), (597, 197), (630, 200)],
    400: [(288, 240), (603, 170), (715, 355)],
    500: [(320, 228), (575, 290), (588, 335), (627, 322)],
    600: [(197, 178), (582, 242), (687, 255), (475, 358), (656, 362), (307, 500)],
    700: [(198, 202), (294, 252), (380, 212), (413, 178), (485, 167), (532, 200), (121, 340),
          (705, 262)],
}  # fmt: skip


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: install the Debian package opencv-doc (make test does)")
    return path


@pytest.fixture(scope="session")
def vtest_frames() -> dict[int, Frame]:
    """The frames of vtest.avi labelled in `PEOPLE_IN_VTEST`, BGR uint8 768x576, by index."""
    capture = cv2.VideoCapture(str(_require(VTEST)))
    frames: dict[int, Frame] = {}
    try:
        for index in range(max(PEOPLE_IN_VTEST) + 1):
            ok, frame = capture.read()
            assert ok, f"could not read frame {index} of {VTEST}"
            if index in PEOPLE_IN_VTEST:
                frames[index] = np.asarray(frame, np.uint8)
    finally:
        capture.release()
    return frames


@pytest.fixture(scope="session")
def vtest_clip() -> list[Frame]:
    """15 s of vtest.avi as a camera sends it to vision: frames 100-240, one a second (every
    10th frame of the 10 fps clip), BGR uint8 768x576."""
    capture = cv2.VideoCapture(str(_require(VTEST)))
    frames: list[Frame] = []
    try:
        for index in range(241):
            ok, frame = capture.read()
            assert ok, f"could not read frame {index} of {VTEST}"
            if index >= 100 and index % 10 == 0:
                frames.append(np.asarray(frame, np.uint8))
    finally:
        capture.release()
    return frames


@pytest.fixture(scope="session")
def vtest_people() -> dict[int, list[tuple[int, int]]]:
    """Centres (x, y in pixels of the 768x576 frame) of the people visible, by frame index."""
    return PEOPLE_IN_VTEST


@pytest.fixture(scope="session")
def read_image() -> Callable[[str], Frame]:
    """Read one of opencv-doc's sample images (BGR uint8) by file name."""

    def read(name: str) -> Frame:
        image = cv2.imread(str(_require(OPENCV_DATA / name)))
        assert image is not None, f"could not decode {name}"
        return np.asarray(image, np.uint8)

    return read
