"""config/stack_yaml.py: stack files typed as Pulumi's YAML 1.2 parser (yaml.v3) types them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.settings import SettingsError, settings_from_stack_file
from config.stack_files import StackFileError, read_stack_config
from config.stack_yaml import load


def value(text: str) -> Any:
    return load(f"key: {text}\n")["key"]


@pytest.mark.parametrize(
    "text", ["off", "on", "yes", "no", "y", "n", "Yes", "NO", "Off", "1:30", "=", "1.2.3", "2024-01-01 release"]
)
def test_yaml_1_1_booleans_sexagesimals_and_non_timestamps_are_text(text: str) -> None:
    assert value(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("~", None),
        ("null", None),
        ("NULL", None),
        ("", None),
        ("0", 0),
        ("-0", 0),
        ("+12", 12),
        ("-7", -7),
        ("0o17", 15),
        ("0x1F", 31),
        ("1.5", 1.5),
        ("-.5", -0.5),
        ("1e3", 1000.0),
        ("1.", 1.0),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
    ],
)
def test_core_schema_values_are_typed(text: str, expected: Any) -> None:
    assert value(text) == expected
    assert type(value(text)) is type(expected)


def test_nan_is_a_float() -> None:
    assert math.isnan(value(".nan"))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0777", "leading 0"),
        ("00", "leading 0"),
        ("-012", "leading 0"),
        ("1_000", "'_'"),
        ("0b101", "'0b'"),
        ("0X1F", "'0X'"),
        ("0O17", "'0O'"),
        ("-0x1F", "a sign before"),
        ("2024-01-01", "a date"),
        ("2024-1-2T10:00:00Z", "a date"),
    ],
)
def test_values_yaml_v3_types_otherwise_are_refused(text: str, why: str) -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match=why):
        value(text)
    assert value(f'"{text}"') == text


@pytest.mark.parametrize("text", ["!!bool yes", "!!int 0777", "!!null x", "!!timestamp 2024-01-01", "!!binary aGk="])
def test_explicit_tags_get_no_yaml_1_1_meaning(text: str) -> None:
    with pytest.raises(yaml.constructor.ConstructorError):
        value(text)


def test_merge_keys_apply_as_in_yaml_v3() -> None:
    assert load("base: &base {a: 1, b: 2}\nthis: {<<: *base, b: 3}\n")["this"] == {"a": 1, "b": 3}


def test_protect_off_is_the_text_off_so_the_stack_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "Pulumi.dev.yaml"
    path.write_text("config:\n  entra-cloudflare:protect: off\n")
    assert read_stack_config(path) == {"entra-cloudflare:protect": "off"}
    with pytest.raises(SettingsError, match="protect"):
        settings_from_stack_file("dev", tmp_path, allow_placeholders=True)


def test_a_refused_value_names_the_file_and_line_but_not_the_value(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  entra-cloudflare:secretRotationDays: 030\n")
    with pytest.raises(
        StackFileError, match=r"Pulumi\.dev\.yaml: .*line 2, column 40: a number with a leading 0"
    ) as caught:
        read_stack_config(path)
    assert "030" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("protect: true\nprotect: false\n", "line 2, column 1: mapping key 'protect' already defined at line 1"),
        (
            "config:\n  a:\n    x: 1\n    y: 2\n    x: 3\n",
            "line 5, column 5: mapping key 'x' already defined at line 3",
        ),
        ("list:\n  - {a: 1, a: 1}\n", "line 2, column 12: mapping key 'a' already defined at line 2"),
        ("a: 1\n'a': 2\n", "line 2, column 1: mapping key 'a' already defined at line 1"),
    ],
    ids=["top level", "nested", "flow", "quoted"],
)
def test_a_key_given_twice_is_refused_as_yaml_v3_refuses_it(text: str, message: str) -> None:
    with pytest.raises(yaml.constructor.ConstructorError) as caught:
        load(text)
    problem = caught.value
    assert problem.problem_mark is not None
    where = f"line {problem.problem_mark.line + 1}, column {problem.problem_mark.column + 1}"
    assert f"{where}: {problem.problem}" == message


def test_a_merged_key_may_be_overridden() -> None:
    assert load("base: &base {a: 1}\nthis:\n  <<: *base\n  a: 2\n")["this"] == {"a": 2}


def test_a_stack_file_with_a_key_given_twice_names_the_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  entra-cloudflare:protect: true\n  entra-cloudflare:protect: false\n")
    with pytest.raises(
        StackFileError, match="line 3, column 3: mapping key 'entra-cloudflare:protect' already defined at line 2"
    ):
        read_stack_config(path)


def alias_bomb(levels: int, width: int = 9) -> str:
    lines = ["config:", "  pulumi:l0: &l0 [x]"]
    for level in range(1, levels + 1):
        lines.append(f"  pulumi:l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    lines.append(f"  entra-cloudflare:teamName: *l{levels}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_it_is_expanded() -> None:
    with pytest.raises(yaml.YAMLError, match="excessive aliasing"):
        load(alias_bomb(9))


def test_a_value_that_contains_itself_is_refused() -> None:
    with pytest.raises(yaml.YAMLError, match="its own anchor"):
        load("config:\n  a: &a [1, *a]\n")


def test_ordinary_aliases_stay_allowed() -> None:
    document = load(alias_bomb(2, width=3))
    assert len(document["config"]["entra-cloudflare:teamName"]) == 3


@pytest.mark.parametrize("text", ["2024-02-30", "2024-01-01T10:00", "2024-01-01 10:00:00 +02:00", "2024-13-01"])
def test_date_like_text_that_yaml_v3_keeps_as_text_is_text(text: str) -> None:
    assert load(f"a: {text}\n") == {"a": text}


@pytest.mark.parametrize(
    "text", ["2024-01-01", "2024-1-2T10:00:00Z", "2024-01-01t10:00:00.5+02:00", "2024-01-01 10:00:00"]
)
def test_a_date_yaml_v3_reads_as_a_timestamp_is_refused(text: str) -> None:
    with pytest.raises(yaml.YAMLError, match="a date: Pulumi reads it as a timestamp"):
        load(f"a: {text}\n")


def test_keys_are_compared_by_their_text_as_yaml_v3_compares_them() -> None:
    assert load("config:\n  true: 1\n  True: 2\n") == {"config": {True: 2}}


def test_nesting_built_from_aliases_of_nested_anchors_is_refused() -> None:
    lines = ["config:"]
    previous = "x"
    for index in range(20):
        inner = "[" * 50 + (f"*a{index - 1}" if index else "x") + "]" * 50
        lines.append(f"  pulumi:a{index}: &a{index} {inner}")
        previous = f"*a{index}"
    lines.append(f"  entra-cloudflare:teamName: {previous}")
    with pytest.raises(yaml.YAMLError, match="nested too deeply"):
        load("\n".join(lines) + "\n")
