"""Client-secret rotation windows: pure date arithmetic, no Pulumi.

Time is cut into fixed windows of `rotation_days`, counted from ROTATION_ANCHOR. The secret's
`rotate_when_changed` key and its `end_date` are derived from the current window only, so every
run inside one window declares identical inputs (no churn), and the first run in a new window
creates a new secret. The secret stays valid for `grace_days` after its window ends, so a missed
redeploy does not lock anybody out until the grace runs out.

Do not derive either value from the current time directly: every run would replace the secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Fixed for ever: moving it would shift every stack's windows and rotate every secret at once.
ROTATION_ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RotationWindow:
    index: int
    starts_at: datetime
    ends_at: datetime  # exclusive: the first run at or after this instant rotates
    secret_expires_at: datetime

    @property
    def rotation_key(self) -> str:
        """Value for `rotate_when_changed`: changes exactly when the window does."""
        return rfc3339(self.starts_at)


def current_window(now: datetime, rotation_days: int, grace_days: int) -> RotationWindow:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if rotation_days < 1 or grace_days < 1:
        raise ValueError("rotation_days and grace_days must be at least 1")
    period = timedelta(days=rotation_days)
    index = (now - ROTATION_ANCHOR) // period
    starts_at = ROTATION_ANCHOR + index * period
    ends_at = starts_at + period
    return RotationWindow(
        index=index,
        starts_at=starts_at,
        ends_at=ends_at,
        secret_expires_at=ends_at + timedelta(days=grace_days),
    )


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> datetime:
    """The program's clock; tests replace it to run the program at a fixed time."""
    return datetime.now(UTC)
