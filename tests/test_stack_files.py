"""config/stack_files.py: which stacks exist, and how a stack file is read (no Pulumi)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.stack_files import (
    NoStackFileError,
    StackFileError,
    read_stack_config,
    read_stack_file,
    stack_file,
    stack_names,
)


def stacks_dir(root: Path, *names: str) -> Path:
    directory = root / "stacks"
    directory.mkdir(exist_ok=True)
    for name in names:
        (directory / name).write_text("config: {}\n")
    return directory


def test_stack_names_may_hold_dots_as_pulumi_allows(tmp_path: Path) -> None:
    stacks_dir(tmp_path, "Pulumi.prod.eu.yaml", "Pulumi.dev_2-b.yml")
    assert stack_names(tmp_path) == ["dev_2-b", "prod.eu"]
    assert stack_file("prod.eu", tmp_path) == tmp_path / "stacks" / "Pulumi.prod.eu.yaml"


@pytest.mark.parametrize(
    "name", ["Pulumi.a b.yaml", "Pulumi..yaml", "Pulumi.é.yml", "Pulumi.a\n.yaml", f"Pulumi.{'x' * 101}.yaml"]
)
def test_a_stack_file_whose_name_pulumi_would_refuse_is_reported(tmp_path: Path, name: str) -> None:
    stacks_dir(tmp_path, "Pulumi.dev.yaml", name)
    with pytest.raises(StackFileError, match="is not a valid stack name") as caught:
        stack_names(tmp_path)
    assert f"stacks/{name}" in str(caught.value)


def test_every_bad_stack_file_name_is_reported_at_once(tmp_path: Path) -> None:
    stacks_dir(tmp_path, "Pulumi.a b.yaml", "Pulumi.c.yaml", "Pulumi.c.yml", "Pulumi.d!.yml")
    with pytest.raises(StackFileError) as caught:
        stack_names(tmp_path)
    message = str(caught.value)
    assert "stacks/Pulumi.a b.yaml" in message
    assert "stacks/Pulumi.c.yaml and Pulumi.c.yml" in message
    assert "stacks/Pulumi.d!.yml" in message


def test_other_files_in_the_stacks_folder_are_not_stacks(tmp_path: Path) -> None:
    stacks_dir(tmp_path, "Pulumi.dev.yaml", "README.md", ".Pulumi.dev.yaml.adopt", "Pulumi.dev.yaml.bak")
    assert stack_names(tmp_path) == ["dev"]


def test_a_stack_without_a_file_is_told_apart_from_a_bad_one(tmp_path: Path) -> None:
    stacks_dir(tmp_path, "Pulumi.dev.yaml", "Pulumi.two.yaml")
    with pytest.raises(
        NoStackFileError, match=r"no stack file stacks/Pulumi\.qa\.yaml \(stack files found for: dev, two\)"
    ):
        stack_file("qa", tmp_path)
    stacks_dir(tmp_path, "Pulumi.two.yml")
    for stack in ("two", "qa"):
        with pytest.raises(StackFileError, match="two stack files") as caught:
            stack_file(stack, tmp_path)
        assert not isinstance(caught.value, NoStackFileError)


def test_a_stack_argument_pulumi_would_refuse_is_refused(tmp_path: Path) -> None:
    stacks_dir(tmp_path, "Pulumi.dev.yaml")
    with pytest.raises(StackFileError, match=r"'\.\./dev' is not a valid stack name") as caught:
        stack_file("../dev", tmp_path)
    assert not isinstance(caught.value, NoStackFileError)


def stack_file_holding(tmp_path: Path, content: str | bytes) -> Path:
    path = stacks_dir(tmp_path) / "Pulumi.dev.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"config:\n  entra-cloudflare:teamName: caf\xe9\n", r"not UTF-8 text \(byte 0xe9 on line 2\)"),
        (f"config:\n  entra-cloudflare:secretRotationDays: {'9' * 5000}\n", "line 2, column 40: a number too long"),
        ("config:\n  k: " + "[" * 3000 + "]" * 3000 + "\n", "line 2, column 68: nested too deeply"),
        ("config:\n  k:\n" + "".join(f"{'  ' * depth}   - \n" for depth in range(3000)), "nested too deeply"),
    ],
    ids=["latin-1", "5000 digits", "3000 flow levels", "3000 block levels"],
)
def test_a_stack_file_that_breaks_the_reader_is_reported_not_a_traceback(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = stack_file_holding(tmp_path, content)
    with pytest.raises(StackFileError, match=rf"^stacks/Pulumi\.dev\.yaml: .*{message}"):
        read_stack_config(path)


def test_whole_numbers_are_those_pulumi_reads_up_to_64_bits(tmp_path: Path) -> None:
    path = stack_file_holding(tmp_path, f"config:\n  a: {2**64 - 1}\n  b: {-(2**63)}\n")
    assert read_stack_config(path) == {"a": 2**64 - 1, "b": -(2**63)}
    path.write_text(f"config:\n  a: {2**64}\n")
    with pytest.raises(StackFileError, match="a number too long"):
        read_stack_config(path)


def test_every_top_level_key_pulumi_knows_is_accepted(tmp_path: Path) -> None:
    path = stack_file_holding(
        tmp_path,
        "secretsprovider: awskms://alias/x\nencryptedkey: abc\nencryptionsalt: v1:def\n"
        "environment: [team/dev]\nconfig:\n  entra-cloudflare:protect: true\n",
    )
    assert read_stack_config(path) == {"entra-cloudflare:protect": True}
    assert read_stack_file(path)["secretsprovider"] == "awskms://alias/x"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("confg:\n  a: 1\n", "unknown top-level key 'confg' (did you mean 'config'?)"),
        ("secretsProvider: x\n", "unknown top-level key 'secretsProvider' (did you mean 'secretsprovider'?)"),
        ("outputs: {}\n", "unknown top-level key 'outputs' (a stack file holds only config, environment, "),
        ("config: []\n", "`config` must be a mapping of keys to values, got list"),
        ("config: false\n", "`config` must be a mapping of keys to values, got bool"),
        ("config: sk_live_SECRET\n", "`config` must be a mapping of keys to values, got str"),
        ("[]\n", "expected a mapping of top-level keys"),
        ("hello\n", "expected a mapping of top-level keys"),
    ],
)
def test_a_stack_file_shaped_otherwise_than_pulumi_reads_it_is_refused(
    tmp_path: Path, content: str, message: str
) -> None:
    path = stack_file_holding(tmp_path, content)
    with pytest.raises(StackFileError, match=r"^stacks/Pulumi\.dev\.yaml: .*" + re.escape(message)) as caught:
        read_stack_config(path)
    assert "SECRET" not in str(caught.value)


def test_every_top_level_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = stack_file_holding(tmp_path, "confg: {}\nconfig: 3\nenvironmnet: []\n")
    with pytest.raises(StackFileError) as caught:
        read_stack_config(path)
    message = str(caught.value)
    assert "'confg'" in message and "'environmnet' (did you mean 'environment'?)" in message
    assert "`config` must be a mapping" in message


@pytest.mark.parametrize("content", ["", "# only a comment\n", "config:\n", "config: ~\n", "config: {}\n"])
def test_an_absent_or_null_config_is_empty(tmp_path: Path, content: str) -> None:
    assert read_stack_config(stack_file_holding(tmp_path, content)) == {}
