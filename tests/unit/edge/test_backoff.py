from __future__ import annotations

import pytest

from vigil.edge.backoff import Backoff


def ladder(backoff: Backoff, n: int) -> list[float]:
    return [backoff.next_delay() for _ in range(n)]


def test_doubles_from_one_second_and_caps_at_sixty() -> None:
    backoff = Backoff(jitter=0.0)
    assert ladder(backoff, 9) == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff.attempt == 9


@pytest.mark.parametrize(
    ("uniform", "expected"),
    [
        (0.0, [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 48.0, 48.0]),  # lowest draw: -20 %
        (0.5, [1, 2, 4, 8, 16, 32, 60, 60]),  # middle draw: no change
        (0.999999, [1.2, 2.4, 4.8, 9.6, 19.2, 38.4, 60, 60]),  # highest: +20 %, never over the cap
    ],
)
def test_jitter_stays_within_twenty_percent_and_under_the_cap(
    uniform: float, expected: list[float]
) -> None:
    backoff = Backoff(uniform=lambda: uniform)
    assert ladder(backoff, 8) == pytest.approx(expected, abs=1e-4)


def test_random_jitter_bounds() -> None:
    backoff = Backoff()
    for attempt in range(200):
        base = min(2.0 ** min(attempt, 10), 60.0)
        delay = backoff.next_delay()
        assert 0.8 * base - 1e-9 <= delay <= min(1.2 * base, 60.0)


def test_reset_starts_over_and_max_delay_is_at_the_cap() -> None:
    backoff = Backoff(uniform=lambda: 0.5)
    ladder(backoff, 5)
    backoff.reset()
    assert backoff.attempt == 0
    assert backoff.next_delay() == 1
    assert backoff.max_delay() == 60
    assert Backoff(uniform=lambda: 0.0).max_delay() == pytest.approx(48.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_s": 0},
        {"initial_s": 10, "max_s": 5},
        {"factor": 0.5},
        {"jitter": 1.0},
        {"jitter": -0.1},
    ],
)
def test_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(**kwargs)  # type: ignore[arg-type]
