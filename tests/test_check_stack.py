"""scripts/check_stack.py, the offline check of one stack file that `make up` runs first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import minimal_config, write_stack_file

from scripts import check_stack


def check(monkeypatch: pytest.MonkeyPatch, root: Path, **config: Any) -> int:
    write_stack_file(root, "qa", minimal_config(**config))
    monkeypatch.setattr(check_stack, "ROOT", root)
    return check_stack.main(["qa"])


def test_the_deployments_lifetime_warning_is_shown_without_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(monkeypatch, tmp_path, secretRotationDays=350, secretGraceDays=30, production=False) == 0
    assert capsys.readouterr().err == (
        "Stack qa: warning: secretRotationDays + secretGraceDays = 380 days: a client secret may live longer "
        "than 365 days, against Microsoft's advice to stay under 12 months\n"
    )


def test_a_production_stack_over_the_strict_lifetime_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(monkeypatch, tmp_path, secretRotationDays=350, secretGraceDays=30) == 2
    err = capsys.readouterr().err
    assert err.startswith("Stack qa: invalid stack configuration (1 problem(s)):\n")
    assert "  - secretRotationDays + secretGraceDays: got 380; expected at most 365 days in a production stack" in err


def test_a_stack_without_warnings_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(monkeypatch, tmp_path) == 0
    assert capsys.readouterr() == ("", "")
