"""Apply a profile's parse rules to a command's raw response.

Rules are generic on purpose (regex with a ``value`` group, an aggregate, a
map, a type) so vendor knowledge stays in YAML.  A required rule that finds
nothing raises ``ParseError`` carrying the raw text: an empty result would
look like a healthy device with no data, which is the worst failure mode for
monitoring.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from endpoints.commands import unquote
from endpoints.errors import ParseError
from endpoints.profiles import Escaping, Query, Rule

__all__ = ["apply_query", "apply_rule", "merge", "select"]

_TRUE = {"true", "yes", "on", "1", "enabled"}
_FALSE = {"false", "no", "off", "0", "disabled"}


def _convert(text: Any, rule: Rule, name: str, raw: str) -> Any:
    if rule.map is not None and isinstance(text, str):
        if text in rule.map:
            return rule.map[text]
        if "*" in rule.map:  # catch-all entry
            return rule.map["*"]
        if rule.strict_map:
            raise ParseError(f"{name}: {text!r} is not one of {sorted(rule.map)}", raw)
    try:
        if rule.type == "int":
            return int(text)
        if rule.type == "float":
            return float(text)
        if rule.type == "bool":
            if isinstance(text, bool):
                return text
            low = str(text).strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(text)
    except (TypeError, ValueError):
        raise ParseError(f"{name}: {text!r} is not {rule.type}", raw) from None
    return text


def select(document: object, path: str) -> list[str]:
    """Every value at ``path`` in a JSON document (see ``Rule``), in document order."""
    nodes = [document]
    for part in path.split("/"):
        nodes = _instances(nodes)
        if part == "*":
            continue
        if part == "@id":
            nodes = [node["id"] for node in nodes if isinstance(node, dict) and "id" in node]
            continue
        name, _, where = part.partition("[")
        nodes = _instances([node[name] for node in nodes if isinstance(node, dict) and name in node])
        if where:  # Channel[Direction=Incoming]: the instances whose child has that value
            key, _, wanted = where.rstrip("]").partition("=")
            nodes = [node for node in nodes if isinstance(node, dict) and select(node, key) == [wanted]]
    leaves = [node.get("Value") if isinstance(node, dict) else node for node in _instances(nodes)]
    return [str(x) for x in leaves if isinstance(x, str | int | float) and not isinstance(x, bool)]


def _instances(nodes: list[object]) -> list[object]:
    """An indexed node (a JSON array of instances) stands for each of its instances."""
    return [x for node in nodes for x in (node if isinstance(node, list) else [node])]


def _document(raw: str, name: str) -> object:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise ParseError(f"{name}: not a JSON answer", raw) from None


def _texts(
    rule: Rule, raw: str, name: str, escaping: Escaping | None, document: object = None
) -> tuple[list[str], object]:
    """The matched value texts (before conversion), and the parsed document for JSON rules."""
    if rule.regex is not None:
        matches = list(re.finditer(rule.regex, raw, re.MULTILINE))
        if rule.aggregate in ("count", "any"):
            return [m.group(0) for m in matches], None
        texts = [m.group("value") for m in matches]
        if rule.unquote and escaping is not None:
            texts = [unquote(t, escaping) for t in texts]
        return texts, None
    if document is None:
        document = _document(raw, name)
    assert rule.path is not None
    texts = select(document, rule.path)
    if rule.match is not None:
        matcher = re.compile(rule.match)
        kept = [m for t in texts if (m := matcher.fullmatch(t))]
        texts = [m.group("value") if "value" in matcher.groupindex else m.group(0) for m in kept]
    return texts, document


def apply_rule(
    rule: Rule, raw: str, *, name: str = "rule", escaping: Escaping | None = None, document: object = None
) -> Any:
    """Return the value ``rule`` extracts from ``raw`` (see ``Rule`` for the knobs);
    ``document``: ``raw`` already parsed as JSON, when several rules read one answer."""
    texts, document = _texts(rule, raw, name, escaping, document)
    if rule.aggregate == "count":
        return len(texts)
    if rule.aggregate == "any":
        return bool(texts)
    if not texts:
        if rule.required:
            raise ParseError(name, raw)
        return rule.default
    values = [_convert(t, rule, name, raw) for t in texts]
    if rule.aggregate == "first":
        return values[0]
    if rule.aggregate == "all":
        return values
    if rule.aggregate == "sum":
        return sum(values)
    if rule.aggregate == "max":
        return max(values)
    # percent: lost / total over all matching values
    if rule.total_path is not None:
        totals = [float(t) for t in select(document, rule.total_path)]
    else:
        assert rule.total_regex is not None
        totals = [float(m.group("value")) for m in re.finditer(rule.total_regex, raw, re.MULTILINE)]
    total = sum(totals)
    return round(100.0 * sum(values) / total, 3) if total else 0.0


def apply_query(
    query: Query, raw: str, *, name: str = "query", escaping: Escaping | None = None
) -> dict[str, Any]:
    """Apply every field rule of ``query``; field names become the dict keys."""
    document = _document(raw, name) if any(r.path for r in query.fields.values()) else None
    return {
        field: apply_rule(rule, raw, name=f"{name}.{field}", escaping=escaping, document=document)
        for field, rule in query.fields.items()
    }


def merge(results: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge per-query results; a later query does not erase an earlier non-None value."""
    out: dict[str, Any] = {}
    for result in results:
        for key, value in result.items():
            if value is not None or key not in out:
                out[key] = value
    return out
