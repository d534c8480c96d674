"""Stack files read as Pulumi reads them: YAML 1.2, not PyYAML's YAML 1.1.

Pulumi's CLI parses stack files with gopkg.in/yaml.v3, a YAML 1.2 parser. PyYAML's SafeLoader
follows YAML 1.1, where `off`, `no`, `on`, `yes`, `n` and `y` are booleans, `1:30` is the number
90 and `0777` octal: a stack with `protect: off` would be read here as false while the engine
sees the text "off". `StackFileLoader` types plain values by the YAML 1.2 core schema instead:

- null: `~`, `null`, `Null`, `NULL` or nothing;
- bool: `true`, `True`, `TRUE`, `false`, `False`, `FALSE` (nothing else);
- int: decimal, `0o` octal, `0x` hex;
- float: decimal with a point and/or exponent, `.inf`, `.nan`;
- anything else is text.

Where yaml.v3 departs from the core schema (its resolve.go), the value is refused, not guessed:
a leading zero (`0777`: 511 to yaml.v3, 777 to YAML 1.2), `_`, `0b` and upper-case or signed
prefixes (`1_000`, `0b1`, `-0x1F`: numbers to yaml.v3, text to YAML 1.2), and dates
(`2024-01-01`: a timestamp to yaml.v3, which Pulumi passes on as "2024-01-01 00:00:00 +0000 UTC").
Quoted, each is text to both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable
from datetime import datetime
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_TAG = "tag:yaml.org,2002:"
_NULL = r"~|null|Null|NULL|"
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = r"[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+"
_FLOAT = r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
_NUMBER_START = list("-+0123456789")
# yaml.v3 reads an int64 or a uint64; past those it reads a float or text. The widest in-range
# spelling is 0o1777777777777777777777 (24 characters).
_INT_RANGE = (-(2**63), 2**64 - 1)
_MAX_INT_CHARS = 24
# Far deeper than any stack file, far shallower than Python's recursion limit.
MAX_DEPTH = 64
# Values a document may hold once every alias is expanded: far more than any stack file, far fewer
# than an "alias bomb" (9 levels of 9 aliases make billions). yaml.v3 refuses those too
# ("document contains excessive aliasing").
MAX_EXPANDED_VALUES = 100_000

_DATE_PROBLEM = (
    'a date: Pulumi reads it as a timestamp and passes it on rewritten ("2024-01-01 00:00:00 +0000 UTC"); quote it'
)

# Plain values yaml.v3 types otherwise than the core schema: (private tag, pattern, why refused).
_DEPARTURES = (
    (
        "!yaml.v3-octal",
        r"[-+]?0[0-9_]+",
        "a number with a leading 0: Pulumi reads it as octal (0777 is 511), YAML 1.2 as decimal; "
        "drop the 0, or quote the value if it is text",
    ),
    (
        "!yaml.v3-number",
        r"[-+]?0[bB][01_]+|[-+]?0[oO][0-7_]+|[-+]?0[xX][0-9a-fA-F_]+"
        r"|(?=[^_]*_)[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9_]+)?",
        "a number written with '_', '0b', '0X', '0O' or a sign before '0x'/'0o': Pulumi reads it as a "
        "number, YAML 1.2 as text; write it in plain decimal, or quote it if it is text",
    ),
    (
        "!yaml.v3-timestamp",
        r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ][0-9]{1,2}:[0-9]{1,2}.*)?",
        _DATE_PROBLEM,
    ),
)


def _anchored(pattern: str) -> re.Pattern[str]:
    # The resolver calls .match(): anchor both ends (\Z, as $ would accept a trailing newline).
    return re.compile(rf"^(?:{pattern})\Z", re.DOTALL)


class StackFileLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema typing of plain values (see the module docstring), no
    duplicate keys, and a depth limit: PyYAML composes recursively, so a deep enough file would be a
    RecursionError."""

    # Start from no implicit typing at all: SafeLoader's are YAML 1.1's.
    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (PyYAML's own attribute, filled below)

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self._depth >= MAX_DEPTH:
            raise ComposerError(
                None, None, f"nested too deeply (more than {MAX_DEPTH} levels)", self.peek_event().start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> Node | None:
        node = super().compose_document()
        if node is not None:
            _measure(node, 1, {}, set())
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        # PyYAML keeps the last of two equal keys; yaml.v3 refuses them, and so does this. Like
        # yaml.v3, it compares a plain key's text, so `true` and `True` are two keys.
        first_lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == f"{_TAG}merge":
                continue
            key = key_node.value if isinstance(key_node, ScalarNode) else self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # refused by SafeLoader below
            if key in first_lines:
                raise _refuse(key_node, f"mapping key {key!r} already defined at line {first_lines[key]}")
            first_lines[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _measure(node: Node, depth: int, measured: dict[int, tuple[int, int]], open_nodes: set[int]) -> tuple[int, int]:
    """(values, levels) of `node` with its aliases expanded, each node measured once. Refuses a
    value that contains itself, nesting past MAX_DEPTH (which aliases of nested anchors could
    otherwise reach) and a document that expands past MAX_EXPANDED_VALUES."""
    known = measured.get(id(node))
    if known is None:
        if id(node) in open_nodes:
            raise ComposerError(None, None, "an alias inside the value of its own anchor", node.start_mark)
        if depth > MAX_DEPTH:
            raise _too_deep(node)
        open_nodes.add(id(node))
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, SequenceNode):
            children = node.value
        parts = [_measure(child, depth + 1, measured, open_nodes) for child in children]
        open_nodes.discard(id(node))
        known = (1 + sum(size for size, _ in parts), 1 + max((levels for _, levels in parts), default=0))
        measured[id(node)] = known
    if depth + known[1] - 1 > MAX_DEPTH:
        raise _too_deep(node)
    if known[0] > MAX_EXPANDED_VALUES:
        raise ComposerError(
            None,
            None,
            f"aliases expand it past {MAX_EXPANDED_VALUES} values (Pulumi refuses this too: excessive aliasing)",
            node.start_mark,
        )
    return known


def _too_deep(node: Node) -> ComposerError:
    return ComposerError(
        None, None, f"nested too deeply (more than {MAX_DEPTH} levels, aliases expanded)", node.start_mark
    )


def _refuse(node: Node, problem: str) -> ConstructorError:
    return ConstructorError(None, None, problem, node.start_mark)


def _text(loader: StackFileLoader, node: Node, pattern: str, kind: str) -> str:
    """The scalar's text, which must fit `pattern` even under an explicit tag (`!!int x`)."""
    assert isinstance(node, ScalarNode)
    text = loader.construct_scalar(node)
    if not _anchored(pattern).match(text):
        raise _refuse(node, f"not a YAML 1.2 {kind}")
    return text


def _null(loader: StackFileLoader, node: Node) -> None:
    _text(loader, node, _NULL, "null")


def _bool(loader: StackFileLoader, node: Node) -> bool:
    return _BOOLS[_text(loader, node, "|".join(_BOOLS), "boolean (true or false)")]


def _int(loader: StackFileLoader, node: Node) -> int:
    text = _text(loader, node, _INT, "whole number")
    # Checked by length first: Python refuses to convert more than 4300 digits (ValueError).
    number = int(text, 0) if len(text) <= _MAX_INT_CHARS else None
    if number is None or not _INT_RANGE[0] <= number <= _INT_RANGE[1]:
        raise _refuse(node, "a number too long: Pulumi reads whole numbers of at most 64 bits (-2^63 to 2^64-1)")
    return number


def _float(loader: StackFileLoader, node: Node) -> float:
    text = _text(loader, node, _FLOAT, "number")
    if text.lower().endswith("inf"):
        return -math.inf if text.startswith("-") else math.inf
    return math.nan if text.lower() == ".nan" else float(text)


# yaml.v3's timestamp layouts (its allowedTimestampFormats, in Go's notation): a plain value that
# parses with one of them becomes a timestamp; one that does not (`2024-02-30`, `2024-01-01T10:00`)
# stays text.
_V3_TIMESTAMPS = (
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})",
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})[Tt](?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})"
    r"(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})",
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2}) (?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})"
    r"(?:\.[0-9]{1,9})?",
)


def _is_v3_timestamp(text: str) -> bool:
    for layout in _V3_TIMESTAMPS:
        found = re.fullmatch(layout, text)
        if found is None:
            continue
        parts = {name: int(value) for name, value in found.groupdict().items()}
        try:
            datetime(parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0), parts.get("S", 0))
        except ValueError:
            return False
        return True
    return False


def _timestamp_or_text(loader: StackFileLoader, node: Node) -> str:
    assert isinstance(node, ScalarNode)
    text = loader.construct_scalar(node)
    assert isinstance(text, str)
    if _is_v3_timestamp(text):
        raise _refuse(node, _DATE_PROBLEM)
    return text


def _departure(problem: str) -> Any:
    def refuse(loader: StackFileLoader, node: Node) -> Any:
        raise _refuse(node, problem)

    return refuse


# Per first character, resolvers are tried in this order: int before the departures (0x1F, 0o17
# are core), the departures before float (whose pattern would take 0777 as 777.0).
StackFileLoader.add_implicit_resolver(f"{_TAG}null", _anchored(_NULL), ["~", "n", "N", ""])
StackFileLoader.add_implicit_resolver(f"{_TAG}bool", _anchored("|".join(_BOOLS)), list("tTfF"))
StackFileLoader.add_implicit_resolver(f"{_TAG}int", _anchored(_INT), _NUMBER_START)
for _tag, _pattern, _problem in _DEPARTURES:
    StackFileLoader.add_implicit_resolver(_tag, _anchored(_pattern), _NUMBER_START)
    StackFileLoader.add_constructor(_tag, _departure(_problem))
StackFileLoader.add_constructor("!yaml.v3-timestamp", _timestamp_or_text)
StackFileLoader.add_implicit_resolver(f"{_TAG}float", _anchored(_FLOAT), [*_NUMBER_START, "."])
# YAML merge keys (`<<: *defaults`), which yaml.v3 applies too.
StackFileLoader.add_implicit_resolver(f"{_TAG}merge", _anchored("<<"), ["<"])

StackFileLoader.add_constructor(f"{_TAG}null", _null)
StackFileLoader.add_constructor(f"{_TAG}bool", _bool)
StackFileLoader.add_constructor(f"{_TAG}int", _int)
StackFileLoader.add_constructor(f"{_TAG}float", _float)
# YAML 1.1 types that SafeLoader would build (dates, bytes, sets) and Pulumi would not.
for _name in ("timestamp", "binary", "set", "omap", "pairs"):
    StackFileLoader.add_constructor(
        f"{_TAG}{_name}", _departure(f"the tag !!{_name} is not YAML 1.2 as Pulumi reads it; remove it")
    )


def load(text: str) -> Any:
    """One YAML document, typed as Pulumi types it; raises yaml.YAMLError."""
    return yaml.load(text, Loader=StackFileLoader)
