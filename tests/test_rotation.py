"""Rotation-window arithmetic of components/rotation.py, with fixed dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components.rotation import ROTATION_ANCHOR, current_window, rfc3339


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_anchor_is_fixed() -> None:
    assert at(2024, 1, 1) == ROTATION_ANCHOR


def test_window_at_the_anchor_is_the_first() -> None:
    window = current_window(ROTATION_ANCHOR, rotation_days=90, grace_days=30)
    assert window.index == 0
    assert window.starts_at == at(2024, 1, 1)
    assert window.ends_at == at(2024, 3, 31)  # 2024 is a leap year: Jan 31 + Feb 29 + Mar 30
    assert window.secret_expires_at == at(2024, 4, 30)
    assert window.rotation_key == "2024-01-01T00:00:00Z"


def test_last_second_of_a_window_belongs_to_it() -> None:
    first = current_window(at(2024, 1, 1), 90, 30)
    last_second = current_window(first.ends_at - timedelta(seconds=1), 90, 30)
    assert last_second == first


def test_first_second_of_the_next_window_rotates() -> None:
    first = current_window(at(2024, 1, 1), 90, 30)
    second = current_window(first.ends_at, 90, 30)
    assert second.index == 1
    assert second.starts_at == first.ends_at
    assert second.rotation_key != first.rotation_key
    assert second.rotation_key == "2024-03-31T00:00:00Z"


def test_every_instant_in_a_window_gives_identical_values() -> None:
    window = current_window(at(2026, 3, 15, 12), 30, 14)
    samples = [window.starts_at + timedelta(hours=h) for h in range(0, 30 * 24)]
    assert {current_window(s, 30, 14) for s in samples} == {window}


def test_windows_are_counted_in_whole_days_across_a_leap_day() -> None:
    window = current_window(at(2028, 2, 29, 23, 59, 59), rotation_days=1, grace_days=1)
    assert window.starts_at == at(2028, 2, 29)
    assert window.ends_at == at(2028, 3, 1)
    assert window.secret_expires_at == at(2028, 3, 2)


def test_seven_day_windows_do_not_drift_over_a_leap_year() -> None:
    window = current_window(at(2025, 1, 1), rotation_days=7, grace_days=3)
    # 2024 has 366 days = 52 weeks and 2 days: window 52 begins on day 365, 2024-12-30.
    assert window.starts_at == at(2024, 12, 30)
    assert window.index == 52


def test_very_long_rotation_period() -> None:
    window = current_window(at(2025, 11, 30, 23, 59, 59), rotation_days=700, grace_days=30)
    assert window.index == 0
    assert window.ends_at == at(2025, 12, 1)  # 2024-01-01 + 700 days
    nxt = current_window(at(2025, 12, 1), rotation_days=700, grace_days=30)
    assert nxt.index == 1 and nxt.starts_at == at(2025, 12, 1)
    assert (nxt.secret_expires_at - nxt.starts_at).days == 730


def test_secret_expiry_is_after_now_and_within_rotation_plus_grace() -> None:
    for days in (1, 7, 30, 90, 365):
        for now in (at(2026, 1, 1), at(2027, 6, 30, 23, 59, 59), at(2028, 2, 29, 12)):
            window = current_window(now, days, 30)
            assert now < window.ends_at < window.secret_expires_at
            assert window.secret_expires_at - now <= timedelta(days=days + 30)


def test_times_before_the_anchor_still_fall_in_whole_windows() -> None:
    window = current_window(at(2023, 12, 31, 23), 90, 30)
    assert window.index == -1
    assert window.ends_at == ROTATION_ANCHOR


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        current_window(datetime(2026, 1, 1), 90, 30)


@pytest.mark.parametrize(("rotation", "grace"), [(0, 30), (90, 0), (-1, 30)])
def test_non_positive_periods_are_refused(rotation: int, grace: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        current_window(at(2026, 1, 1), rotation, grace)


def test_rfc3339_is_utc_with_z() -> None:
    assert rfc3339(at(2026, 4, 4, 1, 2, 3)) == "2026-04-04T01:02:03Z"
