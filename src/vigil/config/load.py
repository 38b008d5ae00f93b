"""Reading site.yaml: `${ENV}` references, validation, and errors worded with their paths
(`cameras[2].zones[0].polygon: needs at least 3 points`); the API words its errors the same way."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from vigil.config.base import (
    CrossReferenceErrors,
)
from vigil.config.site import SiteConfig, cross_check
from vigil.errors import ConfigError

_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def format_loc(loc: Iterable[int | str]) -> str:
    """('cameras', 2, 'zones', 0, 'polygon') -> 'cameras[2].zones[0].polygon'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-") or part in ("tagged-union", "literal['*']"):
            continue  # pydantic's internal union branch names mean nothing to a user
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _errors_of(err: ValidationError) -> list[tuple[str, str]]:
    return validation_errors(err.errors(include_url=False, include_input=False))


def validation_errors(items: Iterable[Any]) -> list[tuple[str, str]]:
    """`(path, message)` pairs of pydantic error items (`ValidationError.errors()`), worded as
    `vigil config check` words them; the API reports zones and rules the same way."""
    errors: list[tuple[str, str]] = []
    for item in items:
        ctx_err = (item.get("ctx") or {}).get("error")
        if isinstance(ctx_err, CrossReferenceErrors):
            prefix = format_loc(item["loc"])
            for path, msg in ctx_err.errors:
                full = path if prefix == "(top level)" else f"{prefix}.{path}"
                errors.append((full, msg))
            continue
        loc = format_loc(item["loc"])
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "string_pattern_mismatch" and loc.endswith("id"):
            msg = (
                "must be lower-case letters, digits, '-' or '_' (max 63), starting with a "
                "letter or digit"
            )
        elif item["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see the config reference)"
        elif item["type"] == "missing":
            msg = "missing (required)"
        errors.append((loc, msg))
    # A union (e.g. cameras: list | "*") reports each branch; keep one line per path+message.
    return list(dict.fromkeys(errors))


def _interpolate(node: Any, path: str, errors: list[tuple[str, str]]) -> Any:
    """Replace "${VAR}" strings with the environment's value."""
    if isinstance(node, dict):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else str(k), errors) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_interpolate(v, f"{path}[{i}]", errors) for i, v in enumerate(node)]
    if isinstance(node, str) and (m := _ENV_REF.match(node)):
        value = os.environ.get(m.group(1))
        if value is None:
            errors.append((path, f"environment variable {m.group(1)} is not set"))
        return value
    return node


def parse_config(data: Any, source: str = "site.yaml") -> SiteConfig:
    """Validate an already-parsed YAML document; raises ConfigError listing every problem."""
    errors: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        raise ConfigError(
            source, [("(top level)", "expected a mapping of sections (site, dvr, cameras, …)")]
        )
    data = _interpolate(data, "", errors)
    try:
        config = SiteConfig.model_validate(data)
    except ValidationError as err:
        errors.extend(_errors_of(err))
        # Field errors stop the model validator; report broken references as well.
        errors.extend(e for e in cross_check(data) if e not in errors)
        raise ConfigError(source, errors) from None
    if errors:
        raise ConfigError(source, errors)
    return config


def load_config(path: Path) -> SiteConfig:
    """Read and validate `path`; raises ConfigError naming the file and every error's path."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(str(path), [("(file)", f"cannot read: {err.strerror}")]) from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(str(path), [(where, f"not valid YAML: {problem}")]) from None
    return parse_config(data, str(path))
