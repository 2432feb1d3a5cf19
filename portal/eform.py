"""The one e-form renderer: JSON Schema with `x-ui` hints → fields a template lays out; a posted form → data.

Shared by the citizen's filing, the counter, the task pages and (later) the administrator's preview. The
schema says what a value is (type, enum, format, lengths); `x-ui` says how to ask for it: `widget` (text,
textarea, date, radio, select, tel, email, number, checkbox, fieldset, repeater, province-select,
commune-select, country-select, ethnicity-select, paper-select), `order`, `group` (a section of the form: one
page of a multi-step filing), `placeholder`, `labels` (an enum value's label), `optional_section`, `show_when`
(`{"field": "decision", "equals": "supplement"}`: asked only for that answer). Schemas' `if/then` on a
sibling's `const` are read as `show_when` too.

HTML names mirror the data path with dots (`form.members.0.full_name`); ids come from the engine's error keys
(`form.members[0].full_name` → `f-form-members-0--full_name`), so an engine field error lands on its field.
Dates are shown and typed dd/mm/yyyy and sent to the engine as ISO dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.errors import FieldError
from integrations.residents.places import PROVINCES
from portal.i18n import gettext
from portal.web import FormErrors, field_id

Choices = Sequence[tuple[str, str]]

ETHNICITIES = (
    "Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "Mông", "Dao", "Gia Rai", "Ê Đê", "Ba Na",
    "Sán Chay", "Chăm", "Cơ Ho", "Xơ Đăng", "Sán Dìu", "Hrê", "Ra Glai", "Mnông", "Thổ", "Xtiêng", "Khơ Mú",
    "Bru - Vân Kiều", "Cơ Tu", "Giáy", "Tà Ôi", "Mạ", "Giẻ Triêng", "Co", "Chơ Ro", "Xinh Mun", "Hà Nhì",
    "Chu Ru", "Lào", "Kháng", "La Chí", "Phù Lá", "La Hủ", "La Ha", "Pà Thẻn", "Chứt", "Lự", "Lô Lô",
    "Mảng", "Cờ Lao", "Bố Y", "Cống", "Ngái", "Si La", "Pu Péo", "Rơ Măm", "Brâu", "Ơ Đu",
)  # fmt: skip
COUNTRIES = ("Việt Nam", "Lào", "Campuchia", "Trung Quốc", "Hàn Quốc", "Nhật Bản", "Hoa Kỳ", "Pháp", "Đức")

DATE_RE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
ISO_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


@dataclass
class Field:
    """One question of the form."""

    key: str  # the engine's error key: form.applicant.full_name, form.members[0].sex
    name: str  # the HTML name: form.applicant.full_name, form.members.0.sex
    id: str
    label: str
    widget: str
    value: str = ""
    hint: str | None = None
    required: bool = False
    options: Choices = ()
    error: FieldError | None = None
    registry: bool = False  # the value came from the population database
    attrs: dict[str, Any] = field(default_factory=dict)
    show_when: tuple[str, str] | None = None  # (HTML name of the deciding field, value)

    @property
    def kind(self) -> str:
        """What the template draws."""
        return "field"


@dataclass
class Group:
    """A fieldset of questions (an object of the schema)."""

    key: str
    id: str
    legend: str
    hint: str | None
    children: list[Node]
    optional: bool = False
    error: FieldError | None = None
    show_when: tuple[str, str] | None = None

    @property
    def kind(self) -> str:
        """What the template draws."""
        return "group"


@dataclass
class Repeater:
    """A repeated group (household members): the rows given, one blank row to add, and a template."""

    key: str
    name: str
    id: str
    legend: str
    hint: str | None
    items: list[Group]
    template: Group
    max_items: int
    error: FieldError | None = None
    show_when: tuple[str, str] | None = None

    @property
    def kind(self) -> str:
        """What the template draws."""
        return "repeater"


Node = Field | Group | Repeater


@dataclass
class Section:
    """A part of the form with its own heading (x-ui.group): one page of a multi-step filing."""

    number: int
    title: str
    properties: list[str]
    nodes: list[Node]

    @property
    def has_errors(self) -> bool:
        """True when a field of this section carries an error."""
        return any(_has_error(n) for n in self.nodes)


def _has_error(node: Node) -> bool:
    if node.error is not None:
        return True
    if isinstance(node, Group):
        return any(_has_error(c) for c in node.children)
    if isinstance(node, Repeater):
        return any(_has_error(i) for i in node.items)
    return False


# --- schema → fields ----------------------------------------------------------------------------------


@dataclass
class _Ctx:
    root: Mapping[str, Any]
    errors: FormErrors
    registry: frozenset[str]
    choices: Mapping[str, Choices]
    data: Mapping[str, Any]


def _resolve(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part, {}) if isinstance(target, Mapping) else {}
    merged = dict(target) if isinstance(target, Mapping) else {}
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return merged


def _ui(node: Mapping[str, Any]) -> Mapping[str, Any]:
    ui = node.get("x-ui")
    return ui if isinstance(ui, Mapping) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _ordered(node: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    props = node.get("properties")
    if not isinstance(props, Mapping):
        return []
    items = [(k, v) for k, v in props.items() if isinstance(v, Mapping)]
    return sorted(items, key=lambda kv: (_ui(kv[1]).get("order", 1000), list(props).index(kv[0])))


def _conditions(node: Mapping[str, Any], prefix: str) -> dict[str, tuple[str, str]]:
    """Property → (deciding field's HTML name, value), from `x-ui.show_when` and `allOf[if/then]`."""
    found: dict[str, tuple[str, str]] = {}
    for name, prop in _ordered(node):
        when = _ui(prop).get("show_when")
        if isinstance(when, Mapping) and isinstance(when.get("field"), str):
            found[name] = (
                f"{prefix}.{when['field']}" if prefix else when["field"],
                str(when.get("equals", "")),
            )
    for rule in node.get("allOf") or []:
        if not isinstance(rule, Mapping):
            continue
        cond = rule.get("if", {}).get("properties", {}) if isinstance(rule.get("if"), Mapping) else {}
        then = rule.get("then") if isinstance(rule.get("then"), Mapping) else {}
        if len(cond) != 1 or not isinstance(then, Mapping):
            continue
        ((decider, test),) = cond.items()
        if not isinstance(test, Mapping) or "const" not in test:
            continue
        for dependent in then.get("required") or []:
            if dependent not in found:
                found[dependent] = (f"{prefix}.{decider}" if prefix else decider, str(test["const"]))
    return found


def _node(ctx: _Ctx, node: Mapping[str, Any], path: list[str | int], prefix: str, required: bool) -> Node:
    node = _resolve(ctx.root, node)
    widget = _ui(node).get("widget")
    kind = node.get("type")
    if kind == "object" or widget == "fieldset":
        return _group(ctx, node, path, prefix)
    if kind == "array" and isinstance(node.get("items"), Mapping):
        return _repeater(ctx, node, path, prefix)
    return _field(ctx, node, path, prefix, required)


def _keys(path: Sequence[str | int], prefix: str) -> tuple[str, str, str]:
    dotted = ""
    for part in path:
        dotted += f"[{part}]" if isinstance(part, int) else (f".{part}" if dotted else str(part))
    key = f"{prefix}.{dotted}" if prefix else dotted
    name = ".".join(str(p) for p in ([prefix] if prefix else []) + list(path))
    return key, name, field_id(key)


def _group(ctx: _Ctx, node: Mapping[str, Any], path: list[str | int], prefix: str) -> Group:
    key, _name, ident = _keys(path, prefix)
    required = set(node.get("required") or [])
    conditions = _conditions(node, _keys(path, prefix)[1])
    children: list[Node] = []
    for name, child in _ordered(node):
        built = _node(ctx, child, [*path, name], prefix, name in required)
        if name in conditions and isinstance(built, Field | Group | Repeater):
            built.show_when = conditions[name]
        children.append(built)
    return Group(
        key=key,
        id=ident,
        legend=_text(node.get("title")) or str(path[-1]),
        hint=_text(node.get("description")),
        children=children,
        optional=bool(_ui(node).get("optional_section")),
        error=ctx.errors.get(key),
    )


def _repeater(ctx: _Ctx, node: Mapping[str, Any], path: list[str | int], prefix: str) -> Repeater:
    key, name, ident = _keys(path, prefix)
    items_schema = _resolve(ctx.root, node["items"])
    rows = _get(ctx.data, path)
    count = len(rows) if isinstance(rows, list) else 0
    max_items = int(node.get("maxItems", 50))
    items = []
    for index in range(count + (1 if count < max_items else 0)):
        group = _group(ctx, items_schema, [*path, index], prefix)
        group.legend = f"{_text(items_schema.get('title')) or gettext('Mục')} {index + 1}"
        items.append(group)
    template = _group(ctx, items_schema, [*path, "__INDEX__"], prefix)
    template.legend = f"{_text(items_schema.get('title')) or gettext('Mục')} __NUMBER__"
    return Repeater(
        key=key,
        name=name,
        id=ident,
        legend=_text(node.get("title")) or str(path[-1]),
        hint=_text(node.get("description")),
        items=items,
        template=template,
        max_items=max_items,
        error=ctx.errors.get(key),
    )


def _field(ctx: _Ctx, node: Mapping[str, Any], path: list[str | int], prefix: str, required: bool) -> Field:
    key, name, ident = _keys(path, prefix)
    ui = _ui(node)
    widget = str(ui.get("widget") or _default_widget(node))
    raw = _get(ctx.data, path)
    if raw is None and "default" in node and not ctx.data:
        raw = node["default"]
    attrs: dict[str, Any] = {}
    if isinstance(node.get("maxLength"), int):
        attrs["maxlength"] = node["maxLength"]
    if ui.get("placeholder") and widget not in ("date", "radio", "select", "province-select"):
        attrs["placeholder"] = ui["placeholder"]
    options: Choices = ()
    labels = ui.get("labels") if isinstance(ui.get("labels"), Mapping) else {}
    if isinstance(node.get("enum"), list):
        options = [(str(v), str(labels.get(v, v))) for v in node["enum"]]
        if widget not in ("radio", "select"):
            widget = "radio" if len(options) <= 4 else "select"
    widget, options = _widget_choices(ctx, widget, options, attrs, node)
    if node.get("pattern") == "^[0-9]{12}$" or widget == "commune-select":
        attrs["inputmode"] = "numeric"
    if node.get("format") == "date" or widget == "date":
        widget = "date"
        attrs.setdefault("placeholder", "dd/mm/yyyy")
        attrs["inputmode"] = "numeric"
    data_path = _keys(path, "")[0]
    return Field(
        key=key,
        name=name,
        id=ident,
        label=_text(node.get("title")) or str(path[-1]),
        widget=widget,
        value=_shown(raw, widget),
        hint=_text(node.get("description")),
        required=required,
        options=options,
        error=ctx.errors.get(key),
        registry=data_path in ctx.registry,
        attrs=attrs,
    )


def _default_widget(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "checkbox"
    if node.get("format") == "email":
        return "email"
    if isinstance(node.get("maxLength"), int) and node["maxLength"] > 300:
        return "textarea"
    return "text"


# Widgets answered by typing with suggestions (a datalist), and where their suggestions come from.
_SUGGESTED: dict[str, tuple[str, Choices | None]] = {
    "ethnicity-select": ("motcua-ethnicities", [(e, e) for e in ETHNICITIES]),
    "country-select": ("motcua-countries", [(c, c) for c in COUNTRIES]),
    "paper-select": ("motcua-papers", None),  # the procedure's papers, from `choices["papers"]`
}


def _widget_choices(
    ctx: _Ctx, widget: str, options: Choices, attrs: dict[str, Any], node: Mapping[str, Any]
) -> tuple[str, Choices]:
    if widget == "province-select":
        return "select", [(p.code, p.name) for p in PROVINCES]
    if widget in _SUGGESTED:
        list_id, suggestions = _SUGGESTED[widget]
        attrs["list"] = list_id
        return "text", list(suggestions if suggestions is not None else ctx.choices.get("papers", ()))
    if widget == "commune-select":
        return "text", options
    if widget in ctx.choices:
        return "select", list(ctx.choices[widget])
    if widget == "number" and node.get("type") == "integer":
        attrs["inputmode"] = "numeric"
    return widget, options


def _get(data: object, path: Sequence[str | int]) -> Any:
    for part in path:
        if isinstance(part, int) and isinstance(data, list) and part < len(data):
            data = data[part]
        elif isinstance(part, str) and isinstance(data, Mapping):
            data = data.get(part)
        else:
            return None
    return data


def _shown(value: object, widget: str) -> str:
    if value is None:
        return ""
    if widget == "date" and isinstance(value, str) and ISO_DATE_RE.match(value):
        y, m, d = value.strip().split("-")
        return f"{d}/{m}/{y}"
    if isinstance(value, bool):
        return "true" if value else ""
    return str(value)


def build(
    schema: Mapping[str, Any],
    data: Mapping[str, Any] | None = None,
    errors: FormErrors | None = None,
    *,
    prefix: str = "form",
    registry: Iterable[str] = (),
    choices: Mapping[str, Choices] | None = None,
) -> list[Section]:
    """The form's sections in order, each with its fields filled from `data` and marked with `errors`.

    `registry` holds the data paths (`applicant.full_name`) whose values came from the population
    database; `choices` supplies lists for widgets that need them (`paper-select`: the procedure's papers).
    """
    ctx = _Ctx(schema, errors or FormErrors({}), frozenset(registry), choices or {}, data or {})
    conditions = _conditions(schema, prefix)
    out: list[Section] = []
    for name, node in _ordered(schema):
        title = _ui(node).get("group") or _text(node.get("title")) or name
        if not out or out[-1].title != title:
            out.append(Section(len(out) + 1, title, [], []))
        built = _node(ctx, node, [name], prefix, name in (schema.get("required") or []))
        if name in conditions and isinstance(built, Field | Group | Repeater):
            built.show_when = conditions[name]
        out[-1].properties.append(name)
        out[-1].nodes.append(built)
    return out


# --- posted form → data -------------------------------------------------------------------------------


@dataclass
class Parsed:
    """What a posted form said, as JSON data, and the fields the page itself could not read."""

    data: dict[str, Any]
    errors: dict[str, FieldError]


def parse(
    schema: Mapping[str, Any],
    form: Mapping[str, Any],
    *,
    prefix: str = "form",
    only: Iterable[str] | None = None,
) -> Parsed:
    """Read the posted fields of `schema` (all, or the top-level properties in `only`) back into data.

    Empty answers are left out, so the engine's own validation says what is required. A date it cannot read
    as dd/mm/yyyy, or a number that is not one, is reported here, on the field, in Vietnamese and English.
    """
    reader = _Reader(schema, prefix, form, {str(k) for k in form.keys()}, {})  # noqa: SIM118 — FormData
    wanted = set(only) if only is not None else None
    data: dict[str, Any] = {}
    required = set(schema.get("required") or [])
    for name, node in _ordered(schema):
        if wanted is not None and name not in wanted:
            continue
        value = reader.read(node, [name], name in required)
        if value is not None:
            data[name] = value
    return Parsed(data, reader.errors)


@dataclass
class _Reader:
    root: Mapping[str, Any]
    prefix: str
    form: Mapping[str, Any]
    keys: set[str]
    errors: dict[str, FieldError]

    def read(self, node: Mapping[str, Any], path: list[str | int], required: bool) -> Any:
        node = _resolve(self.root, node)
        key, name, _ident = _keys(path, self.prefix)
        kind = node.get("type")
        if kind == "object" or _ui(node).get("widget") == "fieldset":
            out: dict[str, Any] = {}
            for child, sub in _ordered(node):
                value = self.read(sub, [*path, child], False)
                if value is not None:
                    out[child] = value
            # An optional section left blank is left out; a required one stays so each field is named.
            return out if out or required else None
        if kind == "array" and isinstance(node.get("items"), Mapping):
            pattern = re.compile(re.escape(name) + r"\.(\d{1,4})\.")
            indices = sorted({int(m.group(1)) for k in self.keys if (m := pattern.match(k))})
            rows = []
            for index in indices[: int(node.get("maxItems", 50))]:
                row = self.read(node["items"], [*path, index], False)
                if row:
                    rows.append(row)
            return rows or None
        raw = self.form.get(name)
        if not isinstance(raw, str):
            return None
        text = raw.strip()
        if kind == "boolean":
            return text in ("true", "on", "1")
        return _typed(node, text, key, self.errors) if text else None


def _typed(node: Mapping[str, Any], text: str, key: str, errors: dict[str, FieldError]) -> Any:
    title = _text(node.get("title")) or key
    if node.get("format") == "date" or _ui(node).get("widget") == "date":
        parsed = parse_date(text)
        if parsed is not None:
            return parsed.isoformat()
        errors[key] = FieldError(
            f"«{title}» không phải là ngày hợp lệ; vui lòng nhập theo dạng ngày/tháng/năm, ví dụ 05/03/1990.",
            f"'{title}' is not a valid date; write it as day/month/year, e.g. 05/03/1990.",
        )
    elif node.get("type") in ("integer", "number"):
        number = _number(text, integer=node.get("type") == "integer")
        if number is not None:
            return number
        errors[key] = FieldError(f"«{title}» phải là một số.", f"'{title}' must be a number.")
    return text


def _number(text: str, *, integer: bool) -> int | float | None:
    if integer:
        digits = text.replace(".", "")
        return int(digits) if re.fullmatch(r"[+-]?\d{1,18}", digits) else None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """dd/mm/yyyy (also d/m/yyyy, with dots or dashes) or yyyy-mm-dd → a date; None when it is no date."""
    match = DATE_RE.match(text)
    try:
        if match:
            d, m, y = (int(g) for g in match.groups())
            return date(y, m, d)
        iso = ISO_DATE_RE.match(text)
        if iso:
            y, m, d = (int(g) for g in iso.groups())
            return date(y, m, d)
    except ValueError:
        return None
    return None


def merge(data: Mapping[str, Any], part: Mapping[str, Any], properties: Iterable[str]) -> dict[str, Any]:
    """`data` with its top-level `properties` replaced by `part` (dropped where `part` omits them)."""
    out = dict(data)
    for name in properties:
        if name in part:
            out[name] = part[name]
        else:
            out.pop(name, None)
    return out


def answers(sections_: Sequence[Section]) -> list[dict[str, Any]]:
    """Rows for a "check your answers" page: (section, label, shown value), blank answers included."""
    rows: list[dict[str, Any]] = []

    def walk(node: Node, section: Section, trail: str) -> None:
        if isinstance(node, Field):
            shown = dict(node.options).get(node.value, node.value) if node.options else node.value
            rows.append(
                {
                    "section": section.number,
                    "label": f"{trail}{node.label}",
                    "value": shown,
                    "id": node.id,
                    "registry": node.registry,
                    "error": node.error,
                }
            )
        elif isinstance(node, Group):
            for child in node.children:
                walk(child, section, f"{node.legend} — " if trail or len(section.nodes) > 1 else "")
        else:
            for item in node.items:
                if any(isinstance(c, Field) and c.value for c in item.children):
                    for child in item.children:
                        walk(child, section, f"{item.legend} — ")

    for section in sections_:
        for node in section.nodes:
            walk(node, section, "")
    return rows
