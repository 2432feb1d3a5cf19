"""E-forms (biểu mẫu điện tử): JSON Schema files under `forms/`, validated with per-field Vietnamese errors.

A form is `forms/<name>.schema.json` (draft 2020-12), e.g. `permanent-residence` or `tasks/reception`.
Besides standard JSON Schema, a property schema may carry these extensions:

- `x-ui`: rendering hints (`widget`, `placeholder`, `order`, `group`, `labels` for enum values);
- `x-registry`: the population-database field that pre-fills it (`full_name`, `date_of_birth`, ...);
- `x-error` / `x-error-en`: a custom message for any value error of that property;
- `x-not-future`: a `format: date` value may not be after today (local time);
- `x-identity`: on a personal identification number, `{"birth_field": ..., "sex_field": ...}` names sibling
  properties that digits 4–6 (century/sex, year of birth) must agree with (DOMAIN §8); `"legacy": true`
  also accepts a 9-digit CMND (a number copied from a paper issued before 2025; its pattern must allow it).

A procedure version published from the administrators' workshop keeps its own e-form (DOMAIN: versions are
immutable): `FormRegistry.learn` takes that text and returns a key `<name>@<sha256[:16]>` that every method
accepts in place of a plain name; plain names read the file in `forms/`.

A form's `x-registry` fields sit in one object — the person who files — which also maps `identity_number`:
that is the person looked up to pre-fill the form and to verify a filing (engine/residents/prefill.py).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from engine.clock import Clock, SystemClock, to_local
from engine.errors import FieldError, InvalidInput, NotFound
from engine.residents.identity import identity_problem
from engine.residents.registry import REGISTRY_FIELDS

SUFFIX = ".schema.json"
ROOT_KEY = "__root__"
"""Field key for an error about the payload as a whole (e.g. it is not an object)."""

META_SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_IDENTITY_PATTERN = "^[0-9]{12}$"
_LEGACY_IDENTITY_PATTERN = "^([0-9]{12}|[0-9]{9})$"

_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "string": ("chuỗi ký tự", "a string"),
    "integer": ("số nguyên", "an integer"),
    "number": ("số", "a number"),
    "boolean": ("giá trị đúng/sai", "true or false"),
    "array": ("danh sách", "a list"),
    "object": ("nhóm thông tin", "an object"),
    "null": ("để trống", "null"),
}

_Messages = tuple[str, str]
_DataPath = list[str | int]


def _format_checker() -> FormatChecker:
    """Standard format checks, with an e-mail check a little stricter than jsonschema's "contains @"."""
    checker = FormatChecker()

    @checker.checks("email")
    def _is_email(instance: object) -> bool:
        return not isinstance(instance, str) or bool(_EMAIL_RE.fullmatch(instance))

    return checker


FORMAT_CHECKER = _format_checker()


class FormRegistry:
    """The e-form schemas of one `forms/` folder, loaded on first use and cached."""

    def __init__(self, root: Path, clock: Clock | None = None) -> None:
        self._root = root
        self._clock: Clock = clock or SystemClock()
        self._schemas: dict[str, dict[str, Any]] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        self._groups: dict[str, RegistryGroup | None] = {}
        self._versions: dict[str, str] = {}

    @property
    def root(self) -> Path:
        """The `forms/` folder (e-form schemas, and the document templates under `documents/`)."""
        return self._root

    def names(self) -> list[str]:
        """List every form name under the root, e.g. `permanent-residence`, `tasks/reception`."""
        if not self._root.is_dir():
            return []
        found = (p.relative_to(self._root).as_posix() for p in self._root.rglob(f"*{SUFFIX}"))
        return sorted(name[: -len(SUFFIX)] for name in found)

    def learn(self, name: str, text: str) -> str:
        """Keep a form given as text (a version's own e-form); return the key it is known by from now on.

        The key is `<name>@<first 16 hex digits of the text's sha256>`, so the same text is learnt once and
        two versions with different texts under one name never share validators.
        """
        key = f"{name}@{hashlib.sha256(text.encode()).hexdigest()[:16]}"
        if key not in self._schemas:
            loaded = json.loads(text)
            if not isinstance(loaded, dict):
                raise ValueError(f"{name}: a form schema must be a JSON object")
            self._schemas[key] = loaded
        return key

    def version_key(self, content_hash: str) -> str | None:
        """The form key a procedure version (by content hash) was found to use, if looked up before."""
        return self._versions.get(content_hash)

    def remember_version(self, content_hash: str, key: str) -> None:
        """Note the form key of a procedure version (versions never change, so this never goes stale)."""
        self._versions[content_hash] = key

    def schema(self, name: str) -> dict[str, Any]:
        """Return a copy of the named schema; raise NotFound when there is no such form."""
        return copy.deepcopy(self._load(name))

    def registry_group(self, name: str) -> RegistryGroup | None:
        """The object of the named form that the population database fills and verifies, if any."""
        if name not in self._groups:
            self._groups[name] = registry_group(self._load(name))
        return self._groups[name]

    def validate(self, name: str, data: object) -> dict[str, Any]:
        """Validate `data` against the named form; return a deep copy of it or raise InvalidInput."""
        schema = self._load(name)
        validator = self._validators.get(name)
        if validator is None:
            validator = self._validators[name] = _validator(schema)
        fields = _collect(validator, schema, data, to_local(self._clock.now()).date())
        if not isinstance(data, dict):
            fields.setdefault(
                ROOT_KEY, FieldError("Biểu mẫu phải là một nhóm thông tin.", "The form must be an object.")
            )
        if fields or not isinstance(data, dict):
            raise _invalid(fields)
        return copy.deepcopy(data)

    def _load(self, name: str) -> dict[str, Any]:
        cached = self._schemas.get(name)
        if cached is not None:
            return cached
        path = self._root / f"{name}{SUFFIX}"
        if not _NAME_RE.fullmatch(name) or not path.is_file():
            raise NotFound(
                f"Không tìm thấy biểu mẫu «{name}».", f"Form '{name}' was not found.", code="FormNotFound"
            )
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: a form schema must be a JSON object")
        self._schemas[name] = loaded
        return loaded


def validate_against(schema: Mapping[str, Any], data: object, *, today: date | None = None) -> None:
    """Validate `data` against `schema`; raise InvalidInput listing every problem by field path."""
    if today is None:
        today = to_local(SystemClock().now()).date()
    fields = _collect(_validator(schema), schema, data, today)
    if fields:
        raise _invalid(fields)


def check_schema(schema: object) -> list[str]:
    """List problems with a form schema itself: the 2020-12 metaschema plus MotCua's conventions."""
    if not isinstance(schema, Mapping):
        return ["the schema must be a JSON object"]
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=FORMAT_CHECKER)
    problems = [
        f"{_schema_location(e.absolute_path)}: {e.message}"
        for e in sorted(meta.iter_errors(schema), key=lambda e: [str(p) for p in e.absolute_path])
    ]
    if schema.get("$schema") != META_SCHEMA_URI:
        problems.append(f"$schema: must be {META_SCHEMA_URI!r}")
    if schema.get("type") != "object":
        problems.append("type: a form must be an object")
    if not isinstance(schema.get("title"), str) or not schema.get("title"):
        problems.append("title: a form needs a (Vietnamese) title")
    for location, node in _schema_nodes(schema, []):
        problems.extend(f"{location or '(root)'}: {p}" for p in _check_node(schema, node))
    groups = _registry_groups(schema, _resolve(schema, schema), ())
    if len(groups) > 1:
        places = ", ".join(".".join(g.path) or "(root)" for g in groups)
        problems.append(f"x-registry: the fields of one person only (the one who files), found in {places}")
    problems.extend(
        f"{'.'.join(g.path) or '(root)'}: x-registry fields need one mapped to identity_number"
        for g in groups
        if g.key is None
    )
    problems.extend(
        f"{location or '(root)'}: x-registry inside a list cannot name the person who files"
        for location, node in _schema_nodes(schema, [])
        if ".items" in f".{location}" and "x-registry" in node
    )
    return problems


@dataclass(frozen=True)
class RegistryGroup:
    """The object of a form that describes the person who files: property → population-database field."""

    path: tuple[str, ...]
    fields: dict[str, str]
    titles: dict[str, str]

    @property
    def key(self) -> str | None:
        """The property holding the identity number the lookup is made with."""
        return next((prop for prop, name in self.fields.items() if name == "identity_number"), None)


def registry_group(schema: Mapping[str, Any]) -> RegistryGroup | None:
    """The one object whose properties carry `x-registry` (checked by `check_schema`), if any."""
    groups = _registry_groups(schema, _resolve(schema, schema), ())
    return groups[0] if len(groups) == 1 and groups[0].key else None


def _registry_groups(
    root: Mapping[str, Any], node: Mapping[str, Any] | None, path: tuple[str, ...]
) -> list[RegistryGroup]:
    """Objects (reached through `properties` and local `$ref`s, not lists) with `x-registry` properties."""
    props = node.get("properties") if node is not None else None
    if not isinstance(props, Mapping):
        return []
    fields: dict[str, str] = {}
    titles: dict[str, str] = {}
    found: list[RegistryGroup] = []
    for key, raw in props.items():
        sub = _resolve(root, raw)
        if sub is None:
            continue
        name = sub.get("x-registry")
        if isinstance(name, str) and name:
            fields[str(key)] = name
            titles[str(key)] = _title(sub, [*path, str(key)])
        found.extend(_registry_groups(root, sub, (*path, str(key))))
    if fields:
        found.insert(0, RegistryGroup(path, fields, titles))
    return found


# --- collecting errors --------------------------------------------------------------------------------


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def _invalid(fields: dict[str, FieldError]) -> InvalidInput:
    return InvalidInput(
        "Dữ liệu biểu mẫu chưa hợp lệ.", "The form data is invalid.", fields=fields, code="FormInvalid"
    )


def _collect(
    validator: Draft202012Validator, schema: Mapping[str, Any], data: object, today: date
) -> dict[str, FieldError]:
    """Every schema error, then the custom checks; one error per field path, the first one found."""
    fields: dict[str, FieldError] = {}
    errors: Iterator[ValidationError] = validator.iter_errors(data)
    for error in errors:
        for path, problem in _describe(error, schema):
            fields.setdefault(path, problem)
    for path, problem in _custom_problems(schema, data, today, set(fields)):
        fields.setdefault(path, problem)
    return fields


def _describe(error: ValidationError, root: Mapping[str, Any]) -> list[tuple[str, FieldError]]:
    """Turn one jsonschema error into (field path, FieldError) pairs."""
    path: _DataPath = list(error.absolute_path)
    instance = error.instance
    parent_schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required" and isinstance(instance, dict):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [p for p in required if p not in instance]
        return [(_dotted([*path, p]), _required(root, parent_schema, [*path, p])) for p in missing]
    if (
        error.validator == "additionalProperties"
        and error.validator_value is False
        and isinstance(instance, dict)
    ):
        return [(_dotted([*path, key]), _unknown_field(key)) for key in _extra_keys(parent_schema, instance)]
    node = _subschema(root, path) or parent_schema
    title = _title(node, path)
    custom = node.get("x-error")
    if isinstance(custom, str):
        english = node.get("x-error-en")
        default_en = _message(error, title, node)[1]
        return [(_dotted(path), FieldError(custom, english if isinstance(english, str) else default_en))]
    return [(_dotted(path), FieldError(*_message(error, title, node)))]


def _required(root: Mapping[str, Any], parent: Mapping[str, Any], path: _DataPath) -> FieldError:
    node = _subschema(root, path)
    if node is None:
        props = parent.get("properties")
        node = props.get(path[-1]) if isinstance(props, Mapping) else None
    title = _title(node or {}, path)
    return FieldError(f"Vui lòng nhập {title}.", f"{title} is required.")


def _unknown_field(key: str) -> FieldError:
    return FieldError(f"Trường «{key}» không có trong biểu mẫu.", f"Field «{key}» is not part of the form.")


def _extra_keys(schema: Mapping[str, Any], instance: Mapping[str, Any]) -> list[str]:
    props = schema.get("properties") or {}
    patterns = [re.compile(p) for p in schema.get("patternProperties") or {}]
    return [k for k in instance if k not in props and not any(p.search(k) for p in patterns)]


# --- messages -----------------------------------------------------------------------------------------


def _message(error: ValidationError, title: str, node: Mapping[str, Any]) -> _Messages:
    """Vietnamese and English text for one keyword failure."""
    builder = _BUILDERS.get(str(error.validator))
    if builder is None:
        return f"{title} không hợp lệ.", f"{title} is invalid."
    return builder(error.validator_value, title, node)


def _type_message(expected: Any, title: str, node: Mapping[str, Any]) -> _Messages:
    kinds = [expected] if isinstance(expected, str) else list(expected)
    vi = " hoặc ".join(_TYPE_NAMES.get(k, (k, k))[0] for k in kinds)
    en = " or ".join(_TYPE_NAMES.get(k, (k, k))[1] for k in kinds)
    return f"{title} phải là {vi}.", f"{title} must be {en}."


def _enum_message(allowed: Any, title: str, node: Mapping[str, Any]) -> _Messages:
    ui = node.get("x-ui")
    labels = ui.get("labels") if isinstance(ui, Mapping) else None
    labels = labels if isinstance(labels, Mapping) else {}
    vi = ", ".join(f"«{labels.get(v, v)}»" for v in allowed)
    en = ", ".join(f"«{v}»" for v in allowed)
    return f"{title} phải là một trong các giá trị: {vi}.", f"{title} must be one of: {en}."


def _pattern_message(pattern: Any, title: str, node: Mapping[str, Any]) -> _Messages:
    if pattern == _IDENTITY_PATTERN:
        return (
            "Số định danh cá nhân phải gồm đúng 12 chữ số.",
            "The personal identification number must have exactly 12 digits.",
        )
    if pattern == _LEGACY_IDENTITY_PATTERN:
        return (
            "Số định danh cá nhân phải gồm đúng 12 chữ số (hoặc 9 chữ số với CMND cũ).",
            "The personal identification number must have exactly 12 digits (or 9 for a legacy ID).",
        )
    return f"{title} không đúng định dạng.", f"{title} has an invalid format."


def _format_message(fmt: Any, title: str, node: Mapping[str, Any]) -> _Messages:
    if fmt == "date":
        return f"{title} phải là ngày hợp lệ (yyyy-mm-dd).", f"{title} must be a valid date (yyyy-mm-dd)."
    if fmt == "email":
        return f"{title} phải là địa chỉ email hợp lệ.", f"{title} must be a valid e-mail address."
    return f"{title} không đúng định dạng ({fmt}).", f"{title} is not a valid {fmt}."


def _min_length_message(n: Any, title: str, node: Mapping[str, Any]) -> _Messages:
    if n == 1:
        return f"Vui lòng nhập {title}.", f"{title} is required."
    return f"{title} phải có ít nhất {n} ký tự.", f"{title} must be at least {n} characters long."


def _min_items_message(n: Any, title: str, node: Mapping[str, Any]) -> _Messages:
    if n == 1:
        return f"Vui lòng nhập ít nhất một mục cho {title}.", f"{title} needs at least one item."
    return f"{title} phải có ít nhất {n} mục.", f"{title} needs at least {n} items."


def _simple(vi: str, en: str) -> Callable[[Any, str, Mapping[str, Any]], _Messages]:
    def build(value: Any, title: str, node: Mapping[str, Any]) -> _Messages:
        return vi.format(title=title, value=value), en.format(title=title, value=value)

    return build


_BUILDERS: dict[str, Callable[[Any, str, Mapping[str, Any]], _Messages]] = {
    "type": _type_message,
    "enum": _enum_message,
    "pattern": _pattern_message,
    "format": _format_message,
    "minLength": _min_length_message,
    "minItems": _min_items_message,
    "const": _simple("{title} phải có giá trị «{value}».", "{title} must be «{value}»."),
    "maxLength": _simple(
        "{title} không được dài quá {value} ký tự.", "{title} must be at most {value} characters long."
    ),
    "minimum": _simple("{title} phải lớn hơn hoặc bằng {value}.", "{title} must be at least {value}."),
    "maximum": _simple("{title} phải nhỏ hơn hoặc bằng {value}.", "{title} must be at most {value}."),
    "exclusiveMinimum": _simple("{title} phải lớn hơn {value}.", "{title} must be greater than {value}."),
    "exclusiveMaximum": _simple("{title} phải nhỏ hơn {value}.", "{title} must be less than {value}."),
    "maxItems": _simple("{title} không được quá {value} mục.", "{title} must have at most {value} items."),
    "uniqueItems": _simple("{title} có mục bị trùng.", "{title} has duplicate items."),
}


# --- custom checks (after the schema) -----------------------------------------------------------------


def _custom_problems(
    root: Mapping[str, Any], data: object, today: date, rejected: set[str]
) -> Iterator[tuple[str, FieldError]]:
    """`x-not-future` dates, then `x-identity` agreement; values already rejected are skipped."""
    walked = [
        (p, n, v, parent)
        for p, n, v, parent in _walk(root, root, data, [], None)
        if _dotted(p) not in rejected
    ]
    for path, node, value, _ in walked:
        day = _parse_date(value) if node.get("x-not-future") is True else None
        if day is not None and day > today:
            title = _title(node, path)
            rejected.add(_dotted(path))
            yield (
                _dotted(path),
                FieldError(f"{title} không được sau ngày hôm nay.", f"{title} cannot be in the future."),
            )
    for path, node, value, parent in walked:
        spec = node.get("x-identity")
        if isinstance(spec, Mapping) and isinstance(value, str) and isinstance(parent, Mapping):
            # A sibling that is itself wrong (a future or invalid birth date) says nothing about the number.
            siblings = {k: v for k, v in parent.items() if _dotted([*path[:-1], k]) not in rejected}
            problem = _identity_problem(value, spec, siblings, today)
            if problem is not None:
                yield _dotted(path), problem


def _identity_problem(
    number: str, spec: Mapping[str, Any], siblings: Mapping[str, Any], today: date
) -> FieldError | None:
    """Digits 4–6 against the declared birth date and sex (a wrong length is the pattern's to report)."""
    legacy = spec.get("legacy") is True
    if not re.fullmatch(r"[0-9]{12}" + ("|[0-9]{9}" if legacy else ""), number):
        return None
    sex = siblings.get(str(spec.get("sex_field")))
    return identity_problem(
        number,
        today=today,
        born=_parse_date(siblings.get(str(spec.get("birth_field")))),
        sex=sex if isinstance(sex, str) else None,
        legacy=legacy,
    )


def _parse_date(value: object) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _walk(
    root: Mapping[str, Any], node: object, value: object, path: _DataPath, parent: object
) -> Iterator[tuple[_DataPath, Mapping[str, Any], object, object]]:
    """Each value present in the data with its (resolved) property schema and the object holding it."""
    resolved = _resolve(root, node)
    if resolved is None:
        return
    yield path, resolved, value, parent
    props = resolved.get("properties")
    if isinstance(value, dict) and isinstance(props, Mapping):
        for key, sub in props.items():
            if key in value:
                yield from _walk(root, sub, value[key], [*path, key], value)
    items = resolved.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        for index, item in enumerate(value):
            yield from _walk(root, items, item, [*path, index], value)


# --- schema navigation --------------------------------------------------------------------------------


def _resolve(root: Mapping[str, Any], node: object) -> Mapping[str, Any] | None:
    """Follow local `$ref`s; keywords beside a `$ref` (title, x-ui) win over the target's."""
    for _ in range(16):
        if not isinstance(node, Mapping):
            return None
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node
        target = _pointer(root, ref)
        if target is None:
            return node
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return None


def _pointer(root: Mapping[str, Any], ref: str) -> Mapping[str, Any] | None:
    if not ref.startswith("#"):
        return None
    node: object = root
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node if isinstance(node, Mapping) else None


def _subschema(root: Mapping[str, Any], path: Sequence[str | int]) -> Mapping[str, Any] | None:
    """The property schema at a data path, through `properties`, `items` and local `$ref`s."""
    node = _resolve(root, root)
    for part in path:
        if node is None:
            return None
        if isinstance(part, int):
            node = _resolve(root, node.get("items"))
        else:
            props = node.get("properties")
            node = _resolve(root, props.get(part)) if isinstance(props, Mapping) else None
    return node


def _title(node: Mapping[str, Any], path: Sequence[str | int]) -> str:
    title = node.get("title")
    if isinstance(title, str) and title:
        return f"«{title}»"
    names = [p for p in path if isinstance(p, str)]
    return f"«{names[-1]}»" if names else "«biểu mẫu»"


def _dotted(path: Sequence[str | int]) -> str:
    """`members[0].full_name`; the whole payload is ROOT_KEY."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or ROOT_KEY


# --- schema checks ------------------------------------------------------------------------------------

_MAP_KEYWORDS = ("properties", "$defs", "patternProperties", "dependentSchemas")
_ONE_KEYWORDS = (
    "items",
    "if",
    "then",
    "else",
    "not",
    "contains",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _schema_nodes(node: object, path: list[str]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every subschema with its location, e.g. `properties.applicant.properties.sex`."""
    if not isinstance(node, Mapping):
        return
    yield ".".join(path), node
    for key in _MAP_KEYWORDS:
        children = node.get(key)
        if isinstance(children, Mapping):
            for name, child in children.items():
                yield from _schema_nodes(child, [*path, key, str(name)])
    for key in _ONE_KEYWORDS:
        yield from _schema_nodes(node.get(key), [*path, key])
    for key in _LIST_KEYWORDS:
        children = node.get(key)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield from _schema_nodes(child, [*path, key, str(index)])


def _check_node(root: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    """MotCua's conventions for one subschema: extension keywords well-formed, refs resolvable."""
    problems: list[str] = []
    ref = node.get("$ref")
    if isinstance(ref, str) and _pointer(root, ref) is None:
        problems.append(f"$ref {ref!r} does not resolve to a local definition")
    for key in ("x-registry", "x-error", "x-error-en"):
        if key in node and (not isinstance(node[key], str) or not node[key]):
            problems.append(f"{key} must be a non-empty string")
    if "x-not-future" in node and not isinstance(node["x-not-future"], bool):
        problems.append("x-not-future must be true or false")
    identity = node.get("x-identity")
    if identity is not None and not (
        isinstance(identity, Mapping)
        and set(identity) <= {"birth_field", "sex_field", "legacy"}
        and all(isinstance(v, str) for k, v in identity.items() if k != "legacy")
        and isinstance(identity.get("legacy", False), bool)
    ):
        problems.append(
            "x-identity must be an object with string birth_field and/or sex_field (and boolean legacy)"
        )
    registry = node.get("x-registry")
    if isinstance(registry, str) and registry and registry not in REGISTRY_FIELDS:
        problems.append(f"x-registry {registry!r} is not a field of the population database")
    if "x-ui" in node:
        problems.extend(_check_ui(node["x-ui"], node.get("enum")))
    props, required = node.get("properties"), node.get("required")
    if isinstance(props, Mapping) and isinstance(required, list):
        problems.extend(f"required property {r!r} is not declared" for r in required if r not in props)
    return problems


def _check_ui(ui: object, enum: object) -> list[str]:
    if not isinstance(ui, Mapping):
        return ["x-ui must be an object"]
    problems = [
        f"x-ui.{key} must be a string"
        for key in ("widget", "placeholder", "group")
        if key in ui and not isinstance(ui[key], str)
    ]
    if "order" in ui and (not isinstance(ui["order"], int) or isinstance(ui["order"], bool)):
        problems.append("x-ui.order must be an integer")
    labels = ui.get("labels")
    if labels is not None:
        if not isinstance(labels, Mapping) or not isinstance(enum, list):
            problems.append("x-ui.labels must be an object and needs an enum beside it")
        else:
            problems.extend(f"x-ui.labels has no label for {v!r}" for v in enum if v not in labels)
            problems.extend(
                f"x-ui.labels names {k!r}, which is not in the enum" for k in labels if k not in enum
            )
    return problems


def _schema_location(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path) or "(root)"
