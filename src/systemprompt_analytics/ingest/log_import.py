"""Importing an access log through the request pipeline, in timestamp order.

Each line becomes the request it records: classified, attributed to a session (by the log's
session field when one is named, else by cookie-less identity at the line's own time), and
written through the batching writer. Malformed lines are counted, the first few kept with
their line numbers, and never stop the import; rows the database still refuses are counted too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from systemprompt_analytics.ingest.log_formats import LogFormat, LogLineError, LogRecord, parse_line
from systemprompt_analytics.ingest.pipeline import RequestFacts
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.rollups import refresh_rollups
from systemprompt_analytics.storage.schema import sessions

MALFORMED_EXAMPLES = 5
# Keep the writer's queue from filling while a large log streams in: wait for it instead,
# at this many queued items or half the queue's bound (writer_max_pending), whichever is less.
BACKPRESSURE_PENDING = 50_000

Progress = Callable[[str, int, int], None]

BOM = "\ufeff"
# Only CR/LF end a line: str.splitlines() also splits at form feeds, NEL, U+2028 and the like,
# which can sit inside a user agent, and would shift every later line number.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 64 * 1024


def split_log(data: bytes) -> list[str]:
    """The lines of a log read as bytes: UTF-8 (undecodable bytes replaced), a leading BOM
    dropped, split at CR/LF only; no empty last line for a final line break."""
    text = data.decode("utf-8", errors="replace").removeprefix(BOM)
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def looks_binary(data: bytes) -> bool:
    """Whether a log looks compressed or binary rather than text: gzip's magic number, NUL
    bytes, or mostly bytes that are not UTF-8, at its start."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(GZIP_MAGIC) or b"\x00" in head:
        return True
    replaced = head.decode("utf-8", errors="replace").count("\ufffd")
    return replaced * 10 > len(head)


@dataclass
class ImportSummary:
    lines: int = 0
    requests: int = 0
    skipped: int = 0  # tracked-request rules leave out health checks
    malformed: int = 0
    rejected: int = 0  # rows the database refused (the writer left them out)
    malformed_examples: list[tuple[int, str]] = field(default_factory=list)
    session_kinds: dict[str, str] = field(default_factory=dict)  # session id → human/category
    session_keys: dict[str, str] = field(default_factory=dict)  # session id → --session-field

    @property
    def sessions(self) -> int:
        return len(self.session_kinds)

    def sessions_by_kind(self) -> Counter[str]:
        return Counter(self.session_kinds.values())

    def to_dict(self) -> dict[str, object]:
        kinds = self.sessions_by_kind()
        return {
            "lines": self.lines,
            "requests": self.requests,
            "skipped": self.skipped,
            "malformed": self.malformed,
            "rejected": self.rejected,
            "malformed_examples": [
                {"line": number, "error": message} for number, message in self.malformed_examples
            ],
            "sessions": self.sessions,
            "human_sessions": kinds.get("human", 0),
            "bot_sessions_by_category": {k: v for k, v in sorted(kinds.items()) if k != "human"},
        }


def parse_lines(
    lines: Iterable[str],
    fmt: LogFormat,
    session_field: str | None,
    summary: ImportSummary,
    now: datetime | None = None,
) -> list[LogRecord]:
    """Parse every line (``now``, default the clock, bounds future timestamps); malformed
    ones are counted in ``summary``. Returns the records in timestamp order."""
    now = now or datetime.now(UTC)
    records = []
    for number, line in enumerate(lines, start=1):
        summary.lines = number
        if not line.strip():
            summary.malformed += 1
            _remember(summary, number, "line: empty")
            continue
        try:
            records.append(parse_line(line, fmt, session_field, now))
        except LogLineError as exc:
            summary.malformed += 1
            _remember(summary, number, str(exc))
    # sorted() is stable: lines with equal timestamps keep their order in the file.
    records.sort(key=lambda record: record.timestamp)
    return records


def _remember(summary: ImportSummary, number: int, message: str) -> None:
    if len(summary.malformed_examples) < MALFORMED_EXAMPLES:
        summary.malformed_examples.append((number, message))


def import_records(
    analytics: Analytics,
    records: list[LogRecord],
    summary: ImportSummary,
    progress: Progress | None = None,
) -> ImportSummary:
    pipeline = analytics.pipeline
    writer = analytics.start().writer
    rejected_before = writer.stats.rejected
    # Waiting before the queue is full, not after: an item the writer refuses is counted as
    # dropped and logged as lost, though the import would hand it over again.
    backpressure = min(BACKPRESSURE_PENDING, max(1, writer.config.max_pending // 2))
    total = len(records)
    for index, record in enumerate(records, start=1):
        headers = {}
        if record.user_agent is not None:
            headers["user-agent"] = record.user_agent
        if record.referrer is not None:
            headers["referer"] = record.referrer
        facts = RequestFacts(
            method=record.method,
            path=record.path,
            query_string=record.query_string,
            headers=headers,
            peer_ip=record.ip,
            at=record.timestamp,
            session_key=record.session_key,
        )
        context = pipeline.begin(facts)
        if context is None:
            summary.skipped += 1
            continue
        session_id = context.resolution.session_id
        if session_id not in summary.session_kinds:
            category = context.user_agent.category
            summary.session_kinds[session_id] = "human" if category is None else str(category)
            if record.session_key is not None:
                summary.session_keys[session_id] = record.session_key
        while not pipeline.finish(context, record.status, record.response_bytes):
            writer.flush()  # the queue was full: wait for it rather than lose the line
        summary.requests += 1
        if writer.pending >= backpressure:
            writer.flush()
        if progress is not None and (index % 1_000 == 0 or index == total):
            progress("importing", index, total)
    # The log's hours are in the past: once its sessions are judged, roll them up (the writer
    # marked the hours that were rolled up already; the rest are new).
    analytics.flush()
    summary.rejected += writer.stats.rejected - rejected_before
    analytics.scoring.score_due(everything=True)
    refresh_rollups(
        analytics.engine,
        datetime.now(UTC),
        session_max_hours=analytics.settings.session_max_hours,
        wait=True,
        settle=timedelta(0),
    )
    return summary


VERDICT_KEYS = (
    "session_key",
    "session_id",
    "is_bot",
    "is_ai_crawler",
    "is_scanner",
    "is_behavioral_bot",
    "behavioral_score",
    "signals",
    "requests",
    "page_views",
)


def session_verdicts(analytics: Analytics, summary: ImportSummary) -> list[dict[str, object]]:
    """One verdict per imported session, after the writer flushed and the detector ran."""
    analytics.flush()
    analytics.scoring.score_due(everything=True)
    c = sessions.c
    ids = list(summary.session_kinds)
    verdicts: list[dict[str, object]] = []
    with analytics.engine.connect() as conn:
        for start in range(0, len(ids), 1_000):
            rows = conn.execute(
                select(
                    c.id, c.is_bot, c.is_ai_crawler, c.is_scanner, c.is_behavioral_bot,
                    c.behavioral_score, c.behavioral_signals, c.request_count, c.page_view_count,
                ).where(c.id.in_(ids[start : start + 1_000]))
            )  # fmt: skip
            for row in rows:
                verdicts.append(
                    {
                        "session_key": summary.session_keys.get(row.id),
                        "session_id": row.id,
                        "is_bot": row.is_bot,
                        "is_ai_crawler": row.is_ai_crawler,
                        "is_scanner": row.is_scanner,
                        "is_behavioral_bot": row.is_behavioral_bot,
                        "behavioral_score": row.behavioral_score,
                        "signals": [s["signal"] for s in row.behavioral_signals or []],
                        "requests": row.request_count,
                        "page_views": row.page_view_count,
                    }
                )
    order = {session_id: index for index, session_id in enumerate(ids)}
    verdicts.sort(key=lambda item: order[str(item["session_id"])])
    return verdicts
