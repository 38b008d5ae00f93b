"""Stored zones and rules: site.yaml's (source "config", rewritten on every start: the file
wins) and those made through the API (source "api"). Config ones are read-only here; the
messages say where in the file to change them.

Methods are synchronous (the API calls them in a thread) and each is one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.analytics.rulebook import (
    Effective,
    Problem,
    check_rule,
    check_zone,
    describe,
    merge,
    parse,
    uses_zone,
    zone_ids,
)
from vigil.clock import Clock
from vigil.config import RuleConfig, SiteConfig, ZoneConfig
from vigil.db.session import Database
from vigil.db.tables import AlertRule, PerimeterZone, RuleSource, ZoneKind
from vigil.errors import ConfigError, ConflictError, NotFoundError

log = logging.getLogger(__name__)


class InvalidItemError(ConfigError):
    """A zone or rule from the API fails the checks site.yaml passes. Paths are the request
    body's (``body.zones[0]``), in the API's error shape: `detail` plus `errors`."""

    def __init__(self, errors: list[Problem]) -> None:
        super().__init__("body", errors)
        lines = [f"body.{path}: {message}" for path, message in errors]
        self.detail = "; ".join(lines)
        self.extra = {"errors": lines}


@dataclass(frozen=True, slots=True)
class StoredZone:
    camera_id: str
    zone: ZoneConfig
    source: str
    defined_in: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredRule:
    rule: RuleConfig
    source: str
    defined_in: str | None
    updated_at: datetime
    problem: str | None = None  # why the engine leaves it out (a zone it names is gone)


def _stored_zone(row: PerimeterZone) -> StoredZone | None:
    zone, problems = parse(
        ZoneConfig,
        {"id": row.id, "name": row.name, "polygon": row.polygon, "criticality": row.criticality},
    )
    if zone is None:
        log.warning("stored zone %s/%s is invalid: %s", row.camera_id, row.id, describe(problems))
        return None
    return StoredZone(row.camera_id, zone, row.source, row.defined_in, row.updated_at)


def _file_edit(what: str, defined_in: str | None) -> ConflictError:
    return ConflictError(f"{what} is defined in site.yaml ({defined_in}); edit the file")


class RuleCatalog:
    def __init__(self, db: Database, config: SiteConfig, clock: Clock) -> None:
        self._db = db
        self._config = config
        self._clock = clock

    # -- start-up ---------------------------------------------------------------------------

    def sync_from_config(self) -> None:
        """Write site.yaml's zones and rules as source "config" (replacing an API item of the
        same id: the file wins) and drop config rows the file no longer has."""
        now = self._clock.now()
        with self._db.session() as session:
            zone_keys: set[tuple[str, str]] = set()
            for i, cam in enumerate(self._config.cameras):
                for j, zone in enumerate(cam.zones):
                    zone_keys.add((cam.id, zone.id))
                    row = session.get(PerimeterZone, (cam.id, zone.id)) or PerimeterZone(
                        camera_id=cam.id, id=zone.id, created_at=now
                    )
                    if row.source == RuleSource.API:
                        log.warning(
                            "zone %s/%s from the API is replaced by site.yaml's", cam.id, zone.id
                        )
                    self._fill_zone(row, zone, now, RuleSource.CONFIG, f"cameras[{i}].zones[{j}]")
                    session.add(row)
            for row in session.scalars(
                select(PerimeterZone).where(PerimeterZone.source == RuleSource.CONFIG)
            ):
                if (row.camera_id, row.id) not in zone_keys:
                    session.delete(row)
            rule_ids = set()
            for i, rule in enumerate(self._config.rules):
                rule_ids.add(rule.id)
                existing = session.get(AlertRule, rule.id)
                if existing is not None and existing.source == RuleSource.API:
                    log.warning("rule %s from the API is replaced by site.yaml's", rule.id)
                rule_row = existing or AlertRule(id=rule.id, created_at=now)
                self._fill_rule(rule_row, rule, now, RuleSource.CONFIG, f"rules[{i}]")
                session.add(rule_row)
            session.execute(
                delete(AlertRule).where(
                    AlertRule.source == RuleSource.CONFIG, AlertRule.id.not_in(rule_ids)
                )
            )
            session.commit()

    def effective(self) -> Effective:
        """The file's zones and rules plus the API's, as the rule engine should run them."""
        problems: list[str] = []
        zones: list[tuple[str, ZoneConfig]] = []
        rules: list[RuleConfig] = []
        with self._db.session() as session:
            for zone_row in session.scalars(
                select(PerimeterZone)
                .where(PerimeterZone.source == RuleSource.API)
                .order_by(PerimeterZone.created_at, PerimeterZone.id)
            ):
                stored = _stored_zone(zone_row)
                if stored is None:
                    problems.append(f"zone {zone_row.camera_id}/{zone_row.id}: invalid; skipped")
                else:
                    zones.append((stored.camera_id, stored.zone))
            for rule_row in session.scalars(
                select(AlertRule)
                .where(AlertRule.source == RuleSource.API)
                .order_by(AlertRule.created_at, AlertRule.id)
            ):
                rule, broken = parse(RuleConfig, rule_row.body)
                if rule is None:
                    problems.append(f"rule {rule_row.id!r}: {describe(broken)}; skipped")
                else:
                    rules.append(rule)
        return merge(self._config, zones, rules, problems)

    # -- zones ------------------------------------------------------------------------------

    def zones(self, camera_id: str | None = None) -> list[StoredZone]:
        query = select(PerimeterZone).order_by(PerimeterZone.camera_id, PerimeterZone.id)
        if camera_id is not None:
            query = query.where(PerimeterZone.camera_id == camera_id)
        with self._db.session() as session:
            found = (_stored_zone(row) for row in session.scalars(query))
            return [z for z in found if z is not None]

    def zone(self, camera_id: str, zone_id: str) -> StoredZone:
        with self._db.session() as session:
            stored = _stored_zone(self._zone_row(session, camera_id, zone_id))
        if stored is None:
            raise NotFoundError(f"zone {zone_id!r} on camera {camera_id!r} is unreadable")
        return stored

    def create_zone(self, camera_id: str, zone: ZoneConfig) -> StoredZone:
        problems = check_zone(self._config, camera_id)
        if problems:
            raise InvalidItemError(problems)
        now = self._clock.now()
        with self._db.session() as session:
            existing = session.get(PerimeterZone, (camera_id, zone.id))
            if existing is not None:
                raise self._zone_exists(existing)
            row = PerimeterZone(camera_id=camera_id, id=zone.id, created_at=now)
            self._fill_zone(row, zone, now, RuleSource.API, None)
            session.add(row)
            try:
                session.commit()
            except IntegrityError as err:  # created by someone else since the check above
                raise ConflictError(f"zone {zone.id!r} on camera {camera_id!r} exists") from err
            return StoredZone(camera_id, zone, RuleSource.API, None, now)

    def update_zone(self, camera_id: str, zone: ZoneConfig) -> StoredZone:
        now = self._clock.now()
        with self._db.session() as session:
            row = self._zone_row(session, camera_id, zone.id)
            self._refuse_config(row.source, self._zone_what(camera_id, zone.id), row.defined_in)
            self._fill_zone(row, zone, now, RuleSource.API, None)
            session.commit()
            return StoredZone(camera_id, zone, RuleSource.API, None, now)

    def delete_zone(self, camera_id: str, zone_id: str) -> StoredZone:
        with self._db.session() as session:
            row = self._zone_row(session, camera_id, zone_id)
            what = self._zone_what(camera_id, zone_id)
            self._refuse_config(row.source, what, row.defined_in)
            users = [
                r.rule.id for r in self._all_rules(session) if uses_zone(r.rule, camera_id, zone_id)
            ]
            if users:
                names = ", ".join(repr(u) for u in users)
                raise ConflictError(
                    f"{what} is used by rule(s) {names}; change or delete them first"
                )
            stored = _stored_zone(row)
            session.delete(row)
            session.commit()
        if stored is None:
            raise NotFoundError(f"{what} is unreadable")
        return stored

    # -- rules ------------------------------------------------------------------------------

    def rules(self) -> list[StoredRule]:
        """Every rule, each API rule with the reason the engine skips it, if it does."""
        with self._db.session() as session:
            rules = self._all_rules(session)
            zones = self._zone_ids(session)
        return [
            r
            if r.source == RuleSource.CONFIG
            else StoredRule(
                r.rule,
                r.source,
                r.defined_in,
                r.updated_at,
                describe(check_rule(self._config, zones, r.rule)) or None,
            )
            for r in rules
        ]

    def rule(self, rule_id: str) -> StoredRule:
        for stored in self.rules():
            if stored.rule.id == rule_id:
                return stored
        raise NotFoundError(f"no rule {rule_id!r}")

    def check_rule(self, rule: RuleConfig) -> None:
        """Raise InvalidItemError unless the rule's references resolve (as in the file)."""
        with self._db.session() as session:
            zones = self._zone_ids(session)
        problems = check_rule(self._config, zones, rule)
        if problems:
            raise InvalidItemError(problems)

    def create_rule(self, rule: RuleConfig) -> StoredRule:
        now = self._clock.now()
        with self._db.session() as session:
            existing = session.get(AlertRule, rule.id)
            if existing is not None:
                self._refuse_config(existing.source, f"rule {rule.id!r}", existing.defined_in)
                raise ConflictError(
                    f"rule {rule.id!r} already exists; change it with PUT /api/v1/rules/{rule.id}"
                )
            self._check_refs(session, rule)
            row = AlertRule(id=rule.id, created_at=now)
            self._fill_rule(row, rule, now, RuleSource.API, None)
            session.add(row)
            try:
                session.commit()
            except IntegrityError as err:
                raise ConflictError(f"rule {rule.id!r} already exists") from err
            return StoredRule(rule, RuleSource.API, None, now)

    def update_rule(self, rule: RuleConfig) -> StoredRule:
        now = self._clock.now()
        with self._db.session() as session:
            row = session.get(AlertRule, rule.id)
            if row is None:
                raise NotFoundError(f"no rule {rule.id!r}")
            self._refuse_config(row.source, f"rule {rule.id!r}", row.defined_in)
            self._check_refs(session, rule)
            self._fill_rule(row, rule, now, RuleSource.API, None)
            session.commit()
            return StoredRule(rule, RuleSource.API, None, now)

    def delete_rule(self, rule_id: str) -> StoredRule:
        with self._db.session() as session:
            row = session.get(AlertRule, rule_id)
            if row is None:
                raise NotFoundError(f"no rule {rule_id!r}")
            self._refuse_config(row.source, f"rule {rule_id!r}", row.defined_in)
            rule, _ = parse(RuleConfig, row.body)
            session.delete(row)
            session.commit()
        if rule is None:  # unreadable, but deleted all the same: that is what was asked
            rule = RuleConfig(id=rule_id, name=rule_id)
        return StoredRule(rule, RuleSource.API, None, self._clock.now())

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _zone_what(camera_id: str, zone_id: str) -> str:
        return f"zone {zone_id!r} on camera {camera_id!r}"

    @staticmethod
    def _refuse_config(source: str, what: str, defined_in: str | None) -> None:
        if source == RuleSource.CONFIG:
            raise _file_edit(what, defined_in)

    def _zone_exists(self, row: PerimeterZone) -> ConflictError:
        what = self._zone_what(row.camera_id, row.id)
        if row.source == RuleSource.CONFIG:
            return _file_edit(what, row.defined_in)
        return ConflictError(
            f"{what} already exists; change it with PUT /api/v1/zones/{row.camera_id}/{row.id}"
        )

    def _zone_row(self, session: Session, camera_id: str, zone_id: str) -> PerimeterZone:
        row = session.get(PerimeterZone, (camera_id, zone_id))
        if row is None:
            raise NotFoundError(f"no {self._zone_what(camera_id, zone_id)}")
        return row

    def _zone_ids(self, session: Session) -> dict[str, list[str]]:
        api = session.execute(
            select(PerimeterZone.camera_id, PerimeterZone.id).where(
                PerimeterZone.source == RuleSource.API
            )
        )
        return zone_ids(self._config, ((c, z) for c, z in api))

    def _check_refs(self, session: Session, rule: RuleConfig) -> None:
        problems = check_rule(self._config, self._zone_ids(session), rule)
        if problems:
            raise InvalidItemError(problems)

    def _all_rules(self, session: Session) -> list[StoredRule]:
        out: list[StoredRule] = []
        for row in session.scalars(
            select(AlertRule).order_by(AlertRule.source.desc(), AlertRule.id)
        ):
            rule, problems = parse(RuleConfig, row.body)
            if rule is None:
                log.warning("stored rule %s is invalid: %s", row.id, describe(problems))
                continue
            out.append(StoredRule(rule, row.source, row.defined_in, row.updated_at))
        return out

    @staticmethod
    def _fill_zone(
        row: PerimeterZone, zone: ZoneConfig, now: datetime, source: str, defined_in: str | None
    ) -> None:
        row.name = zone.name
        row.kind = ZoneKind.ZONE
        row.polygon = [[x, y] for x, y in zone.polygon]
        row.criticality = zone.criticality
        row.source = source
        row.defined_in = defined_in
        row.updated_at = now

    @staticmethod
    def _fill_rule(
        row: AlertRule, rule: RuleConfig, now: datetime, source: str, defined_in: str | None
    ) -> None:
        row.name = rule.name
        row.type = rule.type
        row.severity = rule.severity
        row.enabled = rule.enabled
        # As RuleConfig itself: a subclass of it (the API's body) stores no more than the file.
        row.body = RuleConfig.model_validate(rule.model_dump()).model_dump(mode="json")
        row.source = source
        row.defined_in = defined_in
        row.updated_at = now
