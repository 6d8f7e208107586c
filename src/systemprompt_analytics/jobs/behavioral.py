"""Running the behavioural and scanner detectors in the background, after the writer stores
new activity.

Every writer flush reports which sessions got page views or API calls; each such session is
scored ``debounce`` seconds after its latest activity (so a crawl in progress is scored once it
pauses, not after every batch), in chunks, from stored data gathered in batch form. Verdicts
are recomputed from everything stored each time, so a verdict that later data no longer
supports clears itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine

from systemprompt_analytics.detection.behavioral import BehavioralBotDetector
from systemprompt_analytics.detection.scanners import DEFAULT_PROBE_RULES, ProbeRules, judge_session
from systemprompt_analytics.ingest.writer import Batch
from systemprompt_analytics.jobs.periodic import PeriodicJob, PeriodicJobs
from systemprompt_analytics.storage.repositories.behavioral import (
    SCORED_KINDS,
    ScoringInput,
    SessionJudgement,
    gather_evidence,
    site_page_count,
    write_verdicts,
)
from systemprompt_analytics.storage.schema import request_events
from systemprompt_analytics.storage.write_lock import begin_writing

CHUNK = 500


class BehavioralScoring:
    def __init__(
        self,
        engine: Engine,
        detector: BehavioralBotDetector | None = None,
        *,
        debounce: float = 30.0,
        interval: float = 5.0,
        site_pages: int | None = None,
        probe_rules: ProbeRules = DEFAULT_PROBE_RULES,
        clock: Callable[[], float] = time.time,
        on_verdicts: Callable[[list[tuple[ScoringInput, SessionJudgement]]], None] | None = None,
    ) -> None:
        self.on_verdicts = on_verdicts
        self.engine = engine
        self.detector = detector or BehavioralBotDetector()
        self.probe_rules = probe_rules
        self.debounce = debounce
        self.interval = interval
        self.site_pages = site_pages
        self.clock = clock
        self.scored = 0
        self._due: dict[str, float] = {}
        self._lock = threading.Lock()
        self._jobs: PeriodicJobs | None = None

    # -- feeding -------------------------------------------------------------------------

    def on_flush(self, batch: Batch) -> None:
        """Writer listener: schedule the sessions this batch gave page views or API calls."""
        rows = batch.rows.get(request_events, ())
        due = self.clock() + self.debounce
        touched = {row["session_id"] for row in rows if row.get("kind") in SCORED_KINDS}
        if touched:
            with self._lock:
                for session_id in touched:
                    self._due[session_id] = due

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._due)

    # -- scoring -------------------------------------------------------------------------

    def score_due(self, everything: bool = False) -> int:
        """Score the sessions whose debounce has passed (all of them with ``everything``)."""
        now = self.clock()
        with self._lock:
            ready = [sid for sid, due in self._due.items() if everything or due <= now]
            for session_id in ready:
                del self._due[session_id]
        try:
            return len(self.score_sessions(ready))
        except Exception:
            with self._lock:  # put them back: scored on the next attempt
                for session_id in ready:
                    self._due.setdefault(session_id, now)
            raise

    def judge(self, item: ScoringInput) -> SessionJudgement:
        """Behavioural verdict plus scanner verdict (probe paths, velocity) for one session."""
        scanner = judge_session(
            item.paths, item.statuses, item.is_ua_scanner, item.peak_per_minute, self.probe_rules
        )
        return SessionJudgement(self.detector.score(item.evidence), scanner)

    def score_sessions(
        self, session_ids: Iterable[str], now: datetime | None = None
    ) -> list[tuple[ScoringInput, SessionJudgement]]:
        """Score sessions now, from stored data, and write the verdicts back."""
        moment = now or datetime.now(UTC)
        ids = list(dict.fromkeys(session_ids))
        results: list[tuple[ScoringInput, SessionJudgement]] = []
        site_pages = self.site_pages
        for start in range(0, len(ids), CHUNK):
            with self.engine.begin() as conn:
                begin_writing(conn)  # reads, then writes the verdicts back
                if site_pages is None:
                    site_pages = site_page_count(conn, moment)
                inputs = gather_evidence(conn, ids[start : start + CHUNK], site_pages)
                verdicts = [(item, self.judge(item)) for item in inputs]
                write_verdicts(conn, verdicts)
            results.extend(verdicts)
            if self.on_verdicts is not None:
                self.on_verdicts(verdicts)
        self.scored += len(results)
        return results

    # -- background --------------------------------------------------------------------------

    def start(self) -> BehavioralScoring:
        """Score due sessions every ``interval`` seconds in a background thread (failures are
        logged; the sessions stay pending and are retried)."""
        if self._jobs is None:
            job = PeriodicJob("behavioural scoring", self.interval, self.score_due)
            job.next_run = time.monotonic() + self.interval
            self._jobs = PeriodicJobs([job]).start()
        return self

    def close(self) -> None:
        """Stop the background thread and score everything still pending."""
        if self._jobs is not None:
            self._jobs.close()
            self._jobs = None
        self.score_due(everything=True)
