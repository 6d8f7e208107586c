"""Inputs for the behavioural detector, gathered in batch form, and its verdicts written back.

For a batch of sessions: three set-based queries (their sessions, their page/API hits, the
session counts of their fingerprints) — never a query per session.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, select, update

from systemprompt_analytics.detection.behavioral import (
    BehavioralVerdict,
    PageHit,
    SessionEvidence,
)
from systemprompt_analytics.detection.scanners import ScannerVerdict
from systemprompt_analytics.storage.schema import request_events, sessions

# Counts and rates are over page views and API calls, never assets, beacons or health checks.
SCORED_KINDS = ("page", "api")
# Browsing sessions only: CLI, MCP, bridge and OAuth sessions are clients the host reports
# (authenticated tools making many calls by design), not visits.
SCORED_SOURCES = ("web", "api")
FINGERPRINT_WINDOW = timedelta(hours=24)
SITE_PAGES_WINDOW = timedelta(days=30)


def site_page_count(conn: Connection, now: datetime) -> int:
    """Distinct page paths seen in the last 30 days (the site's size, when no list is set)."""
    statement = select(func.count(func.distinct(request_events.c.path))).where(
        request_events.c.kind == "page",
        request_events.c.occurred_at >= now - SITE_PAGES_WINDOW,
        request_events.c.occurred_at < now,
    )
    return int(conn.execute(statement).scalar_one())


@dataclass(frozen=True, slots=True)
class ScoringInput:
    session_id: str
    is_ua_bot: bool
    is_ua_scanner: bool
    evidence: SessionEvidence
    fingerprint_hash: str | None = None
    # Every tracked request (any kind), for scanner judging: probes are often assets or 404s.
    paths: tuple[str, ...] = ()
    statuses: tuple[int, ...] = ()
    peak_per_minute: int = 0


@dataclass(frozen=True, slots=True)
class SessionJudgement:
    behavioral: BehavioralVerdict
    scanner: ScannerVerdict


def gather_evidence(
    conn: Connection, session_ids: Sequence[str], site_pages: int
) -> list[ScoringInput]:
    """Evidence for each existing session among ``session_ids``."""
    if not session_ids:
        return []
    c = sessions.c
    rows = conn.execute(
        select(
            c.id,
            c.started_at,
            c.fingerprint_hash,
            c.browser,
            c.browser_version,
            c.is_bot,
            c.is_scanner,
            c.is_ai_crawler,
        ).where(c.id.in_(list(session_ids)), c.source.in_(SCORED_SOURCES))
    ).all()
    if not rows:
        return []
    hits: dict[str, list[PageHit]] = defaultdict(list)
    requests: dict[str, list[tuple[str, int, datetime]]] = defaultdict(list)
    e = request_events.c
    for session_id, path, at, kind, status in conn.execute(
        select(e.session_id, e.path, e.occurred_at, e.kind, e.status_code)
        .where(e.session_id.in_([row.id for row in rows]))
        .order_by(e.session_id, e.occurred_at, e.id)
    ):
        requests[session_id].append((path, status, at))
        if kind in SCORED_KINDS:
            hits[session_id].append(PageHit(path, at))
    fingerprint_sessions = _fingerprint_session_counts(conn, rows)
    inputs = []
    for row in rows:
        evidence = SessionEvidence(
            hits=tuple(hits.get(row.id, ())),
            site_page_count=site_pages,
            fingerprint_session_count=fingerprint_sessions.get(row.fingerprint_hash, 1),
            browser=row.browser,
            browser_version=row.browser_version,
            first_seen=row.started_at,
        )
        is_ua_bot = bool(row.is_bot or row.is_scanner or row.is_ai_crawler)
        mine = requests.get(row.id, [])
        minutes = Counter(at.replace(second=0, microsecond=0) for _, _, at in mine)
        inputs.append(
            ScoringInput(
                row.id,
                is_ua_bot,
                bool(row.is_scanner),
                evidence,
                fingerprint_hash=row.fingerprint_hash,
                paths=tuple(path for path, _, _ in mine),
                statuses=tuple(status for _, status, _ in mine),
                peak_per_minute=max(minutes.values(), default=0),
            )
        )
    return inputs


def _fingerprint_session_counts(conn: Connection, rows: Sequence[Any]) -> dict[str, int]:
    """Anonymous sessions per fingerprint within 24 hours before the batch's latest start.

    A registered user's sessions are not counted: logging in many times a day is what a keen
    user does, and each of those sessions is attributable; the signal is meant for cookie-less
    clients that open a new session with every request.
    """
    fingerprints = sorted({row.fingerprint_hash for row in rows if row.fingerprint_hash})
    if not fingerprints:
        return {}
    latest = max(row.started_at for row in rows)
    c = sessions.c
    statement = (
        select(c.fingerprint_hash, func.count())
        .where(
            c.fingerprint_hash.in_(fingerprints),
            c.user_id.is_(None),
            c.started_at >= latest - FINGERPRINT_WINDOW,
            c.started_at <= latest,
        )
        .group_by(c.fingerprint_hash)
    )
    return {fingerprint: int(count) for fingerprint, count in conn.execute(statement)}


def write_verdicts(
    conn: Connection, verdicts: Sequence[tuple[ScoringInput, SessionJudgement]]
) -> None:
    """Store score, signals and verdicts. A session flagged by its user agent keeps that reason;
    otherwise the scanner or behavioural reason replaces (or clears) it. ``is_scanner`` is only
    ever set here, never cleared: a user agent that says "scanner" stays a scanner."""
    if not verdicts:
        return
    c = sessions.c
    statement = (
        update(sessions)
        .where(c.id == bindparam("sid"))
        .values(
            behavioral_score=bindparam("score"),
            behavioral_signals=bindparam("signals", type_=sessions.c.behavioral_signals.type),
            is_behavioral_bot=bindparam("verdict"),
            is_scanner=c.is_scanner | bindparam("scanner"),
            bot_reason=case(
                (c.is_bot | c.is_ai_crawler, c.bot_reason),
                (c.is_scanner & c.bot_reason.is_not(None), c.bot_reason),
                else_=bindparam("reason"),
            ),
        )
    )
    conn.execute(
        statement,
        [
            {
                "sid": item.session_id,
                "score": min(judgement.behavioral.score, 32_767),
                "signals": judgement.behavioral.signals_json() or None,
                "verdict": judgement.behavioral.is_bot,
                "scanner": judgement.scanner.is_scanner,
                "reason": judgement.scanner.reason or judgement.behavioral.reason,
            }
            for item, judgement in verdicts
        ],
    )
