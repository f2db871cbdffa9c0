"""Loading, coercion and validation of the pipeline configuration.

The structure of the configuration (key names, types, defaults, descriptions) is
defined once, in ``config/schema.yaml``. This module

* reads a configuration (file or mapping) and merges overrides (:func:`load_config`),
* turns the strings Snakemake makes of ``--config`` values back into numbers,
  booleans, lists and maps (:func:`coerce`),
* checks it against the schema and against what a schema cannot express — the
  injection mass range of each selection, the selections implemented so far —
  and fills the defaults (:func:`validate`),
* fingerprints the physics content of a configuration (:func:`config_hash`).

Every refusal is a :class:`ConfigError` whose message names the key (as a dotted
path such as ``injection.na62_en.mass_mev``), the offending value and what is
allowed, so a bad ``--config`` fails before any job runs.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from analysis import selections as _selections

__all__ = [
    "EXECUTION_ONLY_KEYS",
    "IMPLEMENTED_SELECTIONS",
    "INJECTION_MASS_RANGE_MEV",
    "SCHEMA_PATH",
    "SELECTIONS",
    "ConfigError",
    "coerce",
    "config_hash",
    "defaults",
    "load_config",
    "load_schema",
    "validate",
    "validated_from_snakemake",
]

#: The schema lives beside the default configuration, at the top of the repository.
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "config" / "schema.yaml"

#: Every selection name the workflow knows (wildcard values; DESIGN.md §3), and those
#: whose simulation, selection and scan exist — one list, in :mod:`analysis.selections`.
SELECTIONS = _selections.SELECTIONS
IMPLEMENTED_SELECTIONS = _selections.IMPLEMENTED

#: HNL mass range (MeV/c^2) in which a signal may be injected: the scan range of
#: each resonance search (PHYSICS.md §3). na62_pnn is not a resonance search.
INJECTION_MASS_RANGE_MEV = {
    # NA48/2 M(pi mu) scan from m_pi + m_mu = 245.2 MeV to m_K - m_mu = 388.0 MeV.
    "na48_2_lnv": (245.2, 388.0),
    "na48_2_lnc": (245.2, 388.0),
    # NA62-RK 2007: signal region 300 < m_miss < 375 MeV.
    "na62rk_mun": (300.0, 375.0),
    # NA62 2015 minimum bias: scan 170 < m_miss < 448 MeV.
    "na62_en": (170.0, 448.0),
}

#: Keys that only steer execution: they never change results, so they are left
#: out of :func:`config_hash`.
EXECUTION_ONLY_KEYS = frozenset({"chunk_decays"})


class ConfigError(ValueError):
    """An invalid configuration; the message names key, value and what is allowed."""


# --------------------------------------------------------------------------- schema


@lru_cache(maxsize=4)
def _load_schema_cached(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def load_schema(schema_path: str | Path | None = None) -> dict:
    """Return the configuration schema (a fresh copy; ``config/schema.yaml`` by default)."""
    path = Path(schema_path) if schema_path is not None else SCHEMA_PATH
    if not path.is_file():
        raise FileNotFoundError(
            f"configuration schema not found at {path}; analysis.config expects the "
            "repository layout (install with `pip install -e .`)"
        )
    return copy.deepcopy(_load_schema_cached(str(path.resolve())))


def defaults(schema_path: str | Path | None = None) -> dict:
    """Return the default value of every top-level key, in schema order."""
    properties = load_schema(schema_path)["properties"]
    return {key: copy.deepcopy(spec["default"]) for key, spec in properties.items()}


# --------------------------------------------------------------------------- loading


def _merge(base: dict, update: Mapping) -> dict:
    """Recursively merge ``update`` into ``base`` (as Snakemake merges ``--config``)."""
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict) and value:
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def load_config(
    path_or_dict: str | Path | Mapping | None,
    overrides: Mapping | None = None,
    *,
    schema_path: str | Path | None = None,
) -> dict:
    """Read, merge, coerce and validate a configuration; return it with defaults filled.

    Parameters
    ----------
    path_or_dict
        A YAML file, a mapping, or ``None`` for the defaults alone.
    overrides
        Merged into the configuration key by key (nested maps recursively), like
        Snakemake's ``--config``; values may be strings as Snakemake passes them.
    schema_path
        Alternative schema, for tests.

    Examples
    --------
    >>> cfg = load_config({"scale": "0.5"}, overrides={"seed": 7})
    >>> cfg["scale"], cfg["seed"], cfg["selections"]
    (0.5, 7, ['na48_2_lnv', 'na48_2_lnc', 'na62rk_mun', 'na62_en', 'na62_pnn'])
    """
    if path_or_dict is None:
        raw: Any = {}
    elif isinstance(path_or_dict, Mapping):
        raw = copy.deepcopy(dict(path_or_dict))
    else:
        with open(path_or_dict, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
        if raw is None:
            raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"configuration must be a mapping of keys to values, got {_show(raw)}")
    if overrides:
        _merge(raw, overrides)
    return validate(coerce(raw, schema_path=schema_path), schema_path=schema_path)


def validated_from_snakemake(config: dict, *, schema_path: str | Path | None = None) -> dict:
    """Coerce and validate Snakemake's ``config``; update it in place and return it.

    Call at the top of the Snakefile, before any rule, so an invalid ``--config`` or
    ``--configfile`` fails before a job is scheduled. ``config`` is updated in place
    because Snakemake keeps its own reference to the dictionary.
    """
    checked = validate(coerce(config, schema_path=schema_path), schema_path=schema_path)
    config.clear()
    config.update(checked)
    return config


# --------------------------------------------------------------------------- coercion


def _schema_type(schema: Mapping) -> str | None:
    kind = schema.get("type")
    return kind if isinstance(kind, str) else None


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _parse_number(text: str) -> Any:
    stripped = text.strip()
    for parse in (int, float):
        try:
            return parse(stripped)
        except ValueError:
            pass
    return text


def _coerce_value(value: Any, schema: Mapping) -> Any:
    kind = _schema_type(schema)
    if kind == "object":
        if isinstance(value, str):
            value = _parse_yaml(value)
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            result = {}
            for key, item in value.items():
                sub = properties.get(key, extra if isinstance(extra, Mapping) else None)
                result[key] = _coerce_value(item, sub) if sub is not None else item
            return result
        return value
    if kind == "array":
        if isinstance(value, str):
            parsed = _parse_yaml(value)
            # `selections=na62_en` means a list of one name.
            value = [parsed] if isinstance(parsed, str) else parsed
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, list):
            items = schema.get("items", {})
            return [_coerce_value(item, items) for item in value]
        return value
    if kind in ("number", "integer"):
        if isinstance(value, str):
            value = _parse_number(value)
        if isinstance(value, bool):
            return value
        if kind == "number" and isinstance(value, int):
            return float(value)
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if kind == "boolean":
        if isinstance(value, str):
            parsed = _parse_yaml(value)
            return parsed if isinstance(parsed, bool) else value
        return value
    return value


def coerce(config: Mapping, *, schema_path: str | Path | None = None) -> dict:
    """Return a copy of ``config`` with string values turned into the schema's types.

    Snakemake parses ``--config key=value`` with YAML's base loader, so nested
    values arrive as strings: ``injection="{na62_en: {mass_mev: 300,
    branching_ratio: 1e-6}}"`` gives ``{'na62_en': {'mass_mev': '300', ...}}``.
    Strings are parsed as YAML (maps, lists, booleans) or as numbers (``1e-6``,
    which YAML 1.1 reads as a string, included); integers given as integral floats
    (``42.0``, ``"4e5"``) become ``int``, and numbers of type ``number`` become
    ``float``, so ``scale: 1`` and ``scale: 1.0`` are the same configuration.
    Values that cannot be converted are left for :func:`validate` to refuse.

    >>> coerce({"seed": "42", "scale": "2e-2", "unblind": "true", "selections": "na62_en"})
    {'seed': 42, 'scale': 0.02, 'unblind': True, 'selections': ['na62_en']}
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"configuration must be a mapping of keys to values, got {_show(config)}")
    return _coerce_value(dict(config), load_schema(schema_path))


# --------------------------------------------------------------------------- validation


def _show(value: Any) -> str:
    """Render a value as a user typed it: ``-1``, ``0.02``, ``'abc'``, ``[...]``."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | bool | int | float) or value is None:
        return repr(value) if isinstance(value, str) else str(value)
    try:
        return json.dumps(value, sort_keys=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _key_path(parts) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "<top level>"


def _hint(word: str, candidates) -> str:
    close = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "array": "a list",
    "object": "a mapping",
    "string": "a string",
}


def _describe(error: jsonschema.ValidationError) -> str:
    """Say what is allowed, for one jsonschema error."""
    kind, bound = error.validator, error.validator_value
    if kind == "type":
        return f"must be {_TYPE_NAMES.get(bound, bound)}"
    if kind == "minimum":
        return f"must be >= {_show(bound)}"
    if kind == "exclusiveMinimum":
        return f"must be > {_show(bound)}"
    if kind == "maximum":
        return f"must be <= {_show(bound)}"
    if kind == "exclusiveMaximum":
        return f"must be < {_show(bound)}"
    if kind == "enum":
        return f"must be one of {', '.join(map(str, bound))}{_hint(error.instance, bound)}"
    if kind == "uniqueItems":
        return "must not name the same entry twice"
    if kind == "minItems":
        return f"must hold at least {bound} entr{'y' if bound == 1 else 'ies'}"
    if kind == "required":
        missing = [key for key in bound if key not in error.instance]
        return f"missing required key(s) {', '.join(missing)}; required: {', '.join(bound)}"
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in allowed]
        hints = "".join(_hint(key, allowed) for key in unknown[:1])
        return (
            f"unknown key(s) {', '.join(map(repr, unknown))}{hints}; allowed: {', '.join(allowed)}"
        )
    return error.message


def _message(path: str, value: Any, allowed: str) -> str:
    return f"config key {path!r} = {_show(value)}: {allowed}"


def _structural_errors(config: dict, schema: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    messages = []
    for error in sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.path]):
        if "propertyNames" in error.absolute_schema_path:
            # An unknown selection as a key of `injection`: jsonschema reports the
            # key as the instance at the map's path; name it as part of the path.
            parts = [*error.path, error.instance]
            names = error.validator_value if error.validator == "enum" else SELECTIONS
            value = config
            for part in parts:
                value = value[part]
            messages.append(
                _message(
                    _key_path(parts),
                    value,
                    f"{error.instance!r} is not a selection; must be one of "
                    f"{', '.join(names)}{_hint(error.instance, names)}",
                )
            )
            continue
        messages.append(_message(_key_path(error.path), error.instance, _describe(error)))
    return messages


def _non_finite(value: Any, parts: list) -> list[str]:
    if isinstance(value, float) and not math.isfinite(value):
        return [_message(_key_path(parts), value, "must be a finite number")]
    if isinstance(value, dict):
        return [m for key, item in value.items() for m in _non_finite(item, [*parts, key])]
    if isinstance(value, list):
        return [m for i, item in enumerate(value) for m in _non_finite(item, [*parts, i])]
    return []


def _physics_errors(config: dict) -> list[str]:
    messages = []
    selections = config["selections"]
    missing = [name for name in selections if name not in IMPLEMENTED_SELECTIONS]
    if missing:
        messages.append(
            _message(
                "selections",
                selections,
                f"selection(s) {', '.join(missing)} not implemented yet; implemented: "
                f"{', '.join(IMPLEMENTED_SELECTIONS)}",
            )
        )
    for name, signal in config["injection"].items():
        if name not in selections:
            messages.append(
                _message(
                    f"injection.{name}",
                    signal,
                    f"injection only for a selection that is run; {name!r} is not in "
                    f"selections ({', '.join(selections)})",
                )
            )
            continue
        if name not in INJECTION_MASS_RANGE_MEV:
            messages.append(
                _message(
                    f"injection.{name}",
                    signal,
                    f"{name} is not a resonance search; injection is possible for "
                    f"{', '.join(INJECTION_MASS_RANGE_MEV)}",
                )
            )
            continue
        low, high = INJECTION_MASS_RANGE_MEV[name]
        mass = signal["mass_mev"]
        if not low <= mass <= high:
            messages.append(
                _message(
                    f"injection.{name}.mass_mev",
                    mass,
                    f"must lie in the {name} scan range {low:g} to {high:g} MeV",
                )
            )
    return messages


def validate(config: Mapping, *, schema_path: str | Path | None = None) -> dict:
    """Check a (coerced) configuration and return a copy with defaults filled.

    Raises
    ------
    ConfigError
        Listing every problem, one per line, each as
        ``config key '<dotted.path>' = <value>: <what is allowed>``.

    >>> validate({"scale": -1})
    Traceback (most recent call last):
    ...
    analysis.config.ConfigError: invalid configuration:
      config key 'scale' = -1: must be > 0
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"configuration must be a mapping of keys to values, got {_show(config)}")
    schema = load_schema(schema_path)
    known = list(schema["properties"])

    # Typos first, each with a hint; the known keys are checked all the same, so
    # one run reports every problem.
    messages = [
        f"unknown config key {key!r}{_hint(key, known)}; known keys: {', '.join(known)}"
        for key in config
        if key not in known
    ]

    # Missing keys, and keys left empty (`injection:` in YAML), take their default.
    filled = {
        key: copy.deepcopy(config[key]) if config.get(key) is not None else spec["default"]
        for key, spec in schema["properties"].items()
    }

    problems = _structural_errors(filled, schema) or _non_finite(filled, [])
    messages += problems or _physics_errors(filled)
    if messages:
        raise ConfigError("invalid configuration:\n" + "\n".join(f"  {m}" for m in messages))
    return filled


# --------------------------------------------------------------------------- hashing


def config_hash(config: Mapping) -> str:
    """Fingerprint of the physics content of a validated configuration.

    The first 16 hex digits of the SHA-256 of its canonical JSON (sorted keys,
    selections in sorted order, no whitespace), leaving out the execution-only keys
    (:data:`EXECUTION_ONLY_KEYS`): two configurations with the same hash give the
    same result tables.
    """
    content = {k: v for k, v in config.items() if k not in EXECUTION_ONLY_KEYS}
    if isinstance(content.get("selections"), list):
        content["selections"] = sorted(content["selections"])
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
