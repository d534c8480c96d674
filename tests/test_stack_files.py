"""components/stack_files.py: which stacks exist, and how a stack file is read (no Pulumi)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.stack_files import NoStackFileError, StackFileError, stack_file, stack_names


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
    with pytest.raises(NoStackFileError, match=r"no stack file stacks/Pulumi\.qa\.yaml \(committed stacks: dev, two\)"):
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
