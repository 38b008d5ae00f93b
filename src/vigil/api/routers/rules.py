"""Rules (validated exactly as site.yaml's `rules[]`) and the schedules they may name.

Rules of site.yaml are read-only here (409 naming where the file defines them); those made
here are stored and the analytics reload them at once. `rules/validate` checks a rule as a
save would, without saving it.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from vigil.analytics.catalog import InvalidItemError, StoredRule
from vigil.api.deps import Admin, CurrentUser, Principal, Services
from vigil.api.schemas import ErrorBody
from vigil.api.site_items import BODY_CONFIG, ConfigWordedRoute, ItemBody, catalog, changed, run
from vigil.config import ALL_DAYS, RuleConfig, ScheduleConfig
from vigil.errors import NotFoundError, PermissionDeniedError

router = APIRouter(tags=["rules"], route_class=ConfigWordedRoute)
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such rule (or not in your scope)"},
    409: {"model": ErrorBody, "description": "Defined in site.yaml, or exists already"},
}
_EXAMPLE: dict[str, Any] = {
    "id": "driveway-night",
    "name": "Person on the driveway at night",
    "type": "zone_intrusion",
    "cameras": ["gate"],
    "zones": ["driveway"],
    "classes": ["person"],
    "schedule": "night",
    "severity": "high",
}


class RuleBody(RuleConfig, ItemBody):
    """A rule exactly as site.yaml's `rules[]` holds it (see the rules reference)."""

    model_config = ConfigDict(**BODY_CONFIG, json_schema_extra={"examples": [_EXAMPLE]})


_Line = Annotated[list[list[float]], Field(min_length=2, max_length=2)]


class RulePublic(RuleConfig):
    # Lists, not tuples: a tuple's JSON schema (prefixItems) trips OpenAPI tools.
    line: _Line | None = Field(  # type: ignore[assignment]  # same values, list-shaped schema
        None, description="line_crossing: [[x1, y1], [x2, y2]] normalised 0..1, origin top-left."
    )
    source: Literal["config", "api"] = Field(
        description="config: from site.yaml (read-only here); api: made through the API."
    )
    defined_in: str | None = Field(description="Where site.yaml defines a config rule: rules[i].")
    updated_at: datetime
    problem: str | None = Field(
        None,
        description="Why the analytics skip this API rule (e.g. a zone it names was removed "
        "from site.yaml); null when it runs.",
    )


class Valid(BaseModel):
    valid: Literal[True] = True


class WindowPublic(BaseModel):
    days: list[str] = Field(examples=[["mon", "tue", "wed", "thu", "fri"]])
    start: str = Field(description="HH:MM, site time.", examples=["22:00"])
    end: str = Field(description="HH:MM; before start means the window ends the next day.")


class SchedulePublic(BaseModel):
    name: str
    always: bool
    windows: list[WindowPublic] = Field(description="Empty when `always`.")
    holidays_off: bool
    holidays_all_day: bool
    timezone: str = Field(description="The site's time zone, in which windows are evaluated.")


def _public(stored: StoredRule) -> RulePublic:
    return RulePublic.model_validate(
        {
            **stored.rule.model_dump(),
            "source": stored.source,
            "defined_in": stored.defined_in,
            "updated_at": stored.updated_at,
            "problem": stored.problem,
        }
    )


def _visible(user: Principal, rule: RuleConfig) -> bool:
    if user.cameras is None or rule.cameras == "*":
        return True
    return any(user.can_see(c) for c in rule.cameras)


def _writable(user: Principal, rule: RuleConfig) -> None:
    """A camera-scoped admin may only write rules confined to their cameras."""
    if user.cameras is None:
        return
    if rule.cameras == "*" or not all(user.can_see(c) for c in rule.cameras):
        raise PermissionDeniedError(
            "this rule applies to cameras outside your scope; list only your cameras"
        )


def _as_rule(body: RuleBody) -> RuleConfig:
    return RuleConfig.model_validate(body.model_dump())


async def _get(services: Services, user: Principal, rule_id: str) -> StoredRule:
    stored = await run(catalog(services).rule, rule_id)
    if not _visible(user, stored.rule):
        raise NotFoundError(f"no rule {rule_id!r}")
    return stored


@router.get("/rules")
async def list_rules(services: Services, user: CurrentUser) -> list[RulePublic]:
    """Every rule that applies to a camera you can see: site.yaml's first, then the API's."""
    rules = await run(catalog(services).rules)
    return [_public(r) for r in rules if _visible(user, r.rule)]


@router.post("/rules", status_code=201, responses=_WRITE_ERRORS)
async def create_rule(
    body: RuleBody, request: Request, services: Services, admin: Admin
) -> RulePublic:
    """Add a rule; it runs from the next analysed frame."""
    rule = _as_rule(body)
    _writable(admin, rule)
    stored = await run(catalog(services).create_rule, rule)
    details = {"name": rule.name, "type": rule.type}
    await changed(services, request, admin, "rules.create", f"rules/{rule.id}", details)
    return _public(stored)


@router.post("/rules/validate")
async def validate_rule(body: RuleBody, services: Services, _admin: Admin) -> Valid:
    """Check a rule as saving it would (fields, cameras, zones, schedules) without saving:
    200 `{"valid": true}`, or 422 with every error's path in the body."""
    await run(catalog(services).check_rule, _as_rule(body))
    return Valid()


@router.get("/rules/{rule_id}", responses={404: {"model": ErrorBody}})
async def get_rule(rule_id: str, services: Services, user: CurrentUser) -> RulePublic:
    return _public(await _get(services, user, rule_id))


@router.put("/rules/{rule_id}", responses=_WRITE_ERRORS)
async def update_rule(
    rule_id: str, body: RuleBody, request: Request, services: Services, admin: Admin
) -> RulePublic:
    """Replace an API rule (the body is the whole rule, as for POST)."""
    await _get(services, admin, rule_id)
    if body.id != rule_id:
        raise InvalidItemError(
            [("id", f"must match the URL ({rule_id!r}); to rename a rule, create a new one")]
        )
    rule = _as_rule(body)
    _writable(admin, rule)
    stored = await run(catalog(services).update_rule, rule)
    await changed(services, request, admin, "rules.update", f"rules/{rule_id}")
    return _public(stored)


@router.delete("/rules/{rule_id}", responses=_WRITE_ERRORS)
async def delete_rule(
    rule_id: str, request: Request, services: Services, admin: Admin
) -> RulePublic:
    """Delete an API rule; it stops raising alerts from the next analysed frame (alerts it
    already raised stay as they are)."""
    current = await _get(services, admin, rule_id)
    _writable(admin, current.rule)
    stored = await run(catalog(services).delete_rule, rule_id)
    await changed(services, request, admin, "rules.delete", f"rules/{rule_id}")
    return _public(stored)


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _schedule(name: str, cfg: ScheduleConfig, timezone: str) -> SchedulePublic:
    if cfg.always:
        windows: list[WindowPublic] = []
    elif cfg.windows:
        windows = [
            WindowPublic(days=[d.value for d in w.days], start=_hhmm(w.start), end=_hhmm(w.end))
            for w in cfg.windows
        ]
    else:
        assert cfg.start is not None and cfg.end is not None  # checked by config
        windows = [
            WindowPublic(
                days=[d.value for d in cfg.days or ALL_DAYS],
                start=_hhmm(cfg.start),
                end=_hhmm(cfg.end),
            )
        ]
    return SchedulePublic(
        name=name,
        always=cfg.always,
        windows=windows,
        holidays_off=cfg.holidays_off,
        holidays_all_day=cfg.holidays_all_day,
        timezone=timezone,
    )


@router.get("/schedules", tags=["rules"])
async def list_schedules(services: Services, _user: CurrentUser) -> list[SchedulePublic]:
    """The schedules of site.yaml a rule may name (read-only; edit the file to change them)."""
    site = services.config
    return [_schedule(n, s, site.site.timezone) for n, s in sorted(site.schedules.items())]
