"""Coverage and gaps from segment spans, and the cause quoted for each gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigil.edge.integrity import EDGE_DOWN, coverage, find_gaps

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("spans", "covered", "holes"),
    [
        ([(0, 10), (10, 20), (20, 30)], 30, []),
        ([(0, 10), (10.4, 20), (20, 30)], 29.6, []),  # under a second: jitter, not a gap
        ([(0, 10), (15, 30)], 25, [(10, 15)]),
        ([(5, 30)], 25, [(0, 5)]),  # before the first segment
        ([(0, 20)], 20, [(20, 30)]),  # after the last
        ([(-10, 5), (25, 40)], 10, [(5, 25)]),  # clipped to the window
        ([(0, 12), (10, 30)], 30, []),  # overlaps are counted once
        ([], 0, [(0, 30)]),
    ],
)
def test_find_gaps(
    spans: list[tuple[float, float]], covered: float, holes: list[tuple[float, float]]
) -> None:
    got_covered, got_holes = find_gaps([(s(a), s(b)) for a, b in spans], s(0), s(30))
    assert got_covered == pytest.approx(covered)
    assert got_holes == [(s(a), s(b)) for a, b in holes]


def test_the_segment_still_being_written_is_not_a_gap() -> None:
    cov = coverage("c", [(s(0), s(100))], [], s(0), s(110))
    assert cov.gaps == () and cov.percent == 100.0
    later = coverage("c", [(s(0), s(100))], [], s(0), s(200))  # 100 s silent: a real gap
    assert [(g.start, g.end) for g in later.gaps] == [(s(100), s(200))]
    assert later.percent == pytest.approx(50.0)


def test_gap_cause_is_the_camera_state_logged_at_the_time() -> None:
    changes = [
        (s(95), "online", None),
        (s(101), "reconnecting", "no video for 10 s (stream stalled)"),
        (s(130), "online", None),
        (s(500), "reconnecting", "connection refused"),  # after the window's gaps
    ]
    spans = [(s(0), s(100)), (s(131), s(300)), (s(360), s(400))]
    cov = coverage("c", spans, changes, s(0), s(400))
    assert [g.cause for g in cov.gaps] == [
        "reconnecting: no video for 10 s (stream stalled)",
        EDGE_DOWN,  # the camera stayed online: the edge was not recording
    ]
    assert cov.recorded_s == pytest.approx(100 + 169 + 40)
    assert cov.expected_s == 400


def test_an_online_camera_that_could_not_record_is_the_gap_cause() -> None:
    changes = [
        (s(0), "online", None),
        (s(98), "online", "not recording: segments lost: No space left on device"),
        (s(150), "online", None),  # space came back
    ]
    cov = coverage("c", [(s(0), s(100)), (s(160), s(200))], changes, s(0), s(200))
    assert [(g.start, g.end, g.cause) for g in cov.gaps] == [
        (s(100), s(160), "online: not recording: segments lost: No space left on device")
    ]
