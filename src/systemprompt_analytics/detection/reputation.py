"""Fingerprint reputation scoring. Pure: rows in, rows out, ``now`` always explicit.

Every fingerprint starts at a score of 50 (0 worst, 100 best). Each run of the hourly job
hands :func:`score_period` the fingerprint's stored row (or None) and what it did in the
period since the row was last updated (:class:`PeriodActivity`):

* **Incidents.** A period is abusive when the fingerprint had a scanner session, a
  behavioural-bot session, sustained high velocity (``sustained_minutes`` minutes above
  ``high_velocity_per_minute`` requests in the last hour) or ``many_sessions`` new sessions.
  An *incident* is one contiguous abuse episode: abusive periods less than ``episode_gap``
  apart belong to the same one. The first abusive period of an episode counts one incident
  and costs the penalties of the kinds seen; later periods of the same episode cost only
  ``continuing_penalty``. ``last_incident_at`` stores the end of the last abusive period
  counted, so a re-run over the same period counts nothing again.
* **Recovery.** Each whole clean day since the last incident gives back
  ``recovery_per_clean_day`` points, up to ``recovery_ceiling``; recovery never lowers a
  score.
* **Flag.** A fingerprint is flagged while its score is below ``flag_below``, with the reason
  code of the worst kind of abuse it showed (``scanner``, ``behavioral_bot``,
  ``high_velocity``, ``many_sessions``).
* **Idempotence.** A row already updated at or after the period's end is returned unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "IncidentKind",
    "PeriodActivity",
    "Reputation",
    "ReputationPolicy",
    "Velocity",
    "incident_kinds",
    "recover",
    "score_period",
    "velocity_from_minutes",
]

MIN_SCORE = 0
MAX_SCORE = 100
LOW_REPUTATION = "low_reputation"


class IncidentKind(StrEnum):
    """Kinds of abuse, worst first; the value is the flag reason code."""

    SCANNER = "scanner"
    BEHAVIORAL_BOT = "behavioral_bot"
    HIGH_VELOCITY = "high_velocity"
    MANY_SESSIONS = "many_sessions"


_SEVERITY = tuple(IncidentKind)


@dataclass(frozen=True, slots=True)
class ReputationPolicy:
    """Every number of the scoring, in one place."""

    initial_score: int = 50
    scanner_penalty: int = 35
    behavioral_bot_penalty: int = 25
    high_velocity_penalty: int = 20
    many_sessions_penalty: int = 10
    # Each further abusive period of an episode already counted.
    continuing_penalty: int = 5
    # A minute with more requests than this is a high-velocity minute (DESIGN section 7).
    high_velocity_per_minute: int = 30
    # This many high-velocity minutes within the last hour are "sustained" high velocity.
    sustained_minutes: int = 5
    # More new sessions than this in one period (DESIGN: session_count_per_fingerprint 10).
    many_sessions: int = 10
    # Abusive periods closer than this belong to one incident.
    episode_gap: timedelta = timedelta(hours=1)
    recovery_per_clean_day: int = 2
    recovery_ceiling: int = 50
    flag_below: int = 20
    # associated_user_ids keeps at most this many ids.
    max_user_ids: int = 50

    def penalty(self, kind: IncidentKind) -> int:
        """The points one new incident of ``kind`` costs."""
        return {
            IncidentKind.SCANNER: self.scanner_penalty,
            IncidentKind.BEHAVIORAL_BOT: self.behavioral_bot_penalty,
            IncidentKind.HIGH_VELOCITY: self.high_velocity_penalty,
            IncidentKind.MANY_SESSIONS: self.many_sessions_penalty,
        }[kind]


DEFAULT_POLICY = ReputationPolicy()


@dataclass(frozen=True, slots=True)
class Velocity:
    """Requests in the last hour, the busiest minute, and minutes above the threshold."""

    requests_last_hour: int = 0
    peak_per_minute: int = 0
    high_velocity_minutes: int = 0


def velocity_from_minutes(
    per_minute: Iterable[int], policy: ReputationPolicy = DEFAULT_POLICY
) -> Velocity:
    """Velocity from the request counts of each minute of the last hour."""
    counts = list(per_minute)
    return Velocity(
        requests_last_hour=sum(counts),
        peak_per_minute=max(counts, default=0),
        high_velocity_minutes=sum(1 for c in counts if c > policy.high_velocity_per_minute),
    )


@dataclass(frozen=True, slots=True)
class PeriodActivity:
    """What one fingerprint did in ``[start, end)`` (end is the job's ``now``).

    ``sessions`` and ``requests`` are the amounts to add to the totals; ``scanner_sessions``
    and ``behavioral_sessions`` count flagged sessions active in the period.
    """

    fingerprint_hash: str
    start: datetime
    end: datetime
    first_seen_at: datetime
    last_seen_at: datetime
    sessions: int = 0
    requests: int = 0
    velocity: Velocity = field(default_factory=Velocity)
    scanner_sessions: int = 0
    behavioral_sessions: int = 0
    user_ids: frozenset[str] = frozenset()
    last_user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Reputation:
    """One ``fingerprint_reputation`` row.

    ``peak_requests_per_minute`` is the highest ever seen; ``requests_last_hour`` and
    ``sustained_high_velocity_minutes`` describe the hour before ``updated_at``.
    """

    fingerprint_hash: str
    first_seen_at: datetime
    last_seen_at: datetime
    updated_at: datetime
    session_count: int = 0
    request_count: int = 0
    requests_last_hour: int = 0
    peak_requests_per_minute: int = 0
    sustained_high_velocity_minutes: int = 0
    is_flagged: bool = False
    flag_reason: str | None = None
    reputation_score: int = 50
    abuse_incidents: int = 0
    last_incident_at: datetime | None = None
    associated_user_ids: tuple[str, ...] = ()
    last_user_agent: str | None = None


def incident_kinds(
    period: PeriodActivity, policy: ReputationPolicy = DEFAULT_POLICY
) -> tuple[IncidentKind, ...]:
    """The kinds of abuse in ``period``, worst first (empty for a clean period)."""
    found = {
        IncidentKind.SCANNER: period.scanner_sessions > 0,
        IncidentKind.BEHAVIORAL_BOT: period.behavioral_sessions > 0,
        IncidentKind.HIGH_VELOCITY: (
            period.velocity.high_velocity_minutes >= policy.sustained_minutes
        ),
        IncidentKind.MANY_SESSIONS: period.sessions > policy.many_sessions,
    }
    return tuple(kind for kind in _SEVERITY if found[kind])


def score_period(
    current: Reputation | None,
    period: PeriodActivity,
    policy: ReputationPolicy = DEFAULT_POLICY,
) -> Reputation:
    """The fingerprint's row after ``period``: totals, velocity, incidents, score, flag."""
    if current is not None and current.updated_at >= period.end:
        return current
    base = current or _new_row(period, policy)
    row = _merge_activity(base, period, policy)
    kinds = incident_kinds(period, policy)
    if not kinds:
        return recover(row, period.end, policy, period.velocity)
    row = _apply_incident(row, kinds, period, policy)
    return _with_flag(replace(row, updated_at=period.end), kinds, policy)


def recover(
    current: Reputation,
    now: datetime,
    policy: ReputationPolicy = DEFAULT_POLICY,
    velocity: Velocity | None = None,
) -> Reputation:
    """The row of a fingerprint with no abuse up to ``now``: clean-day recovery applied.

    Points are given for the whole clean days completed between ``updated_at`` and ``now``,
    so running this again (or hourly) never gives the same day's points twice. ``velocity``
    replaces the last-hour figures (None: no requests in the last hour).
    """
    if current.updated_at >= now:
        return current
    score = current.reputation_score
    if score < policy.recovery_ceiling:
        score = min(score + _recovery_points(current, now, policy), policy.recovery_ceiling)
    last_hour = velocity or Velocity()
    row = replace(
        current,
        reputation_score=_clamp(score),
        requests_last_hour=last_hour.requests_last_hour,
        sustained_high_velocity_minutes=last_hour.high_velocity_minutes,
        updated_at=now,
    )
    return _with_flag(row, (), policy)


def _recovery_points(current: Reputation, now: datetime, policy: ReputationPolicy) -> int:
    if current.last_incident_at is None:
        return 0
    before = _clean_days(current.last_incident_at, current.updated_at)
    after = _clean_days(current.last_incident_at, now)
    return max(0, after - before) * policy.recovery_per_clean_day


def _clean_days(since: datetime, until: datetime) -> int:
    return max(0, (until - since) // timedelta(days=1))


def _new_row(period: PeriodActivity, policy: ReputationPolicy) -> Reputation:
    return Reputation(
        fingerprint_hash=period.fingerprint_hash,
        first_seen_at=period.first_seen_at,
        last_seen_at=period.last_seen_at,
        updated_at=period.start,
        reputation_score=policy.initial_score,
    )


def _merge_activity(
    row: Reputation, period: PeriodActivity, policy: ReputationPolicy
) -> Reputation:
    users = sorted(set(row.associated_user_ids) | period.user_ids)[: policy.max_user_ids]
    return replace(
        row,
        first_seen_at=min(row.first_seen_at, period.first_seen_at),
        last_seen_at=max(row.last_seen_at, period.last_seen_at),
        session_count=row.session_count + period.sessions,
        request_count=row.request_count + period.requests,
        requests_last_hour=period.velocity.requests_last_hour,
        peak_requests_per_minute=max(row.peak_requests_per_minute, period.velocity.peak_per_minute),
        sustained_high_velocity_minutes=period.velocity.high_velocity_minutes,
        associated_user_ids=tuple(users),
        last_user_agent=period.last_user_agent or row.last_user_agent,
    )


def _apply_incident(
    row: Reputation,
    kinds: tuple[IncidentKind, ...],
    period: PeriodActivity,
    policy: ReputationPolicy,
) -> Reputation:
    """Count a new incident, or continue the current one; never count one period twice."""
    last = row.last_incident_at
    if last is not None and last >= period.end:
        return row
    continuing = last is not None and period.start - last < policy.episode_gap
    if continuing:
        penalty, incidents = policy.continuing_penalty, row.abuse_incidents
    else:
        penalty = sum(policy.penalty(kind) for kind in kinds)
        incidents = row.abuse_incidents + 1
    return replace(
        row,
        reputation_score=_clamp(row.reputation_score - penalty),
        abuse_incidents=incidents,
        last_incident_at=period.end,
    )


def _with_flag(
    row: Reputation, kinds: tuple[IncidentKind, ...], policy: ReputationPolicy
) -> Reputation:
    if row.reputation_score >= policy.flag_below:
        return replace(row, is_flagged=False, flag_reason=None)
    return replace(row, is_flagged=True, flag_reason=_worst_reason(kinds, row.flag_reason))


def _worst_reason(kinds: tuple[IncidentKind, ...], previous: str | None) -> str:
    """The most severe of this period's kinds and the reason the row was flagged for."""
    codes = [kind.value for kind in kinds]
    if previous is not None:
        codes.append(previous)
    for kind in _SEVERITY:
        if kind.value in codes:
            return kind.value
    return previous or LOW_REPUTATION


def _clamp(score: int) -> int:
    return max(MIN_SCORE, min(MAX_SCORE, score))
