"""What each kind of Vigil process runs, from the one table of stages (vigil.app.runtime)."""

from __future__ import annotations

from vigil.app.runtime import ROLES, STAGES

CAMERA_STAGES = {"detector", "camera health", "heartbeat", "inference", "cameras"}


def test_every_role_runs_its_stages_in_the_tables_order() -> None:
    order = [name for name, _, _ in STAGES]
    assert len(order) == len(set(order))
    for role, stages in ROLES.items():
        assert list(stages) == [s for s in order if s in stages], role
        assert {"database", "bus"} <= set(stages), role


def test_a_hub_runs_no_camera_and_a_box_runs_everything() -> None:
    assert not CAMERA_STAGES & set(ROLES["hub"])
    assert set(ROLES["all"]) >= CAMERA_STAGES
    assert set(ROLES["edge"]) == set(ROLES["all"]) | {"uplink"}
    assert set(ROLES["hub"]) == set(ROLES["all"]) - CAMERA_STAGES


def test_consumers_start_before_what_feeds_them() -> None:
    box = ROLES["edge"]

    def before(first: str, then: str) -> bool:
        return box.index(first) < box.index(then)

    assert before("analytics", "inference")  # detections have their reader
    assert before("recording index", "cameras")  # segments are indexed from the first one
    assert before("uplink", "heartbeat")  # the hub hears every beat
    assert before("heartbeat monitor", "heartbeat")
    assert before("api", "cameras")  # the dashboard answers while cameras connect


def test_a_worker_answers_health_first_and_runs_only_its_stage() -> None:
    for role in ("analytics", "notify", "inference"):
        assert ROLES[role] == ("health server", "database", "object store", "bus", role)
