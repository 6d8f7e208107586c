"""Generating the demo dataset: pure (no clock, no I/O) and deterministic for a seed and
window, produced in batches so memory stays bounded.

Each phase (users, human visits, CLI sessions, bots, evaluation runs, ...) draws from its
own random stream, so changing one phase does not shift the others. Session kinds split the
requested total exactly: about 72% human web sessions, 25% bots and 3% CLI sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter

from systemprompt_analytics.demo import extras, funnel
from systemprompt_analytics.demo.audience import Audience
from systemprompt_analytics.demo.bots import BotTraffic
from systemprompt_analytics.demo.cli_sessions import CliTraffic
from systemprompt_analytics.demo.clients import mark_datacenters
from systemprompt_analytics.demo.humans import CONVERSION_SHARE, HumanTraffic
from systemprompt_analytics.demo.platform import Platform
from systemprompt_analytics.demo.records import Dataset, SessionBuilder, finalise_session
from systemprompt_analytics.demo.reputation import ReputationTracker
from systemprompt_analytics.demo.rng import DemoRandom, Weighted
from systemprompt_analytics.demo.site import LAUNCH_POST
from systemprompt_analytics.demo.timeline import (
    FLAT_HOURLY,
    HUMAN_HOURLY,
    MS_PER_DAY,
    MS_PER_HOUR,
    MS_PER_MINUTE,
    WORKDAY_HOURLY,
    Rhythm,
    Window,
)
from systemprompt_analytics.demo.users import User, UserBase
from systemprompt_analytics.ingest.datacenter import DatacenterDetector
from systemprompt_analytics.pricing import PriceBook

BOT_SHARE = 0.25
CLI_SHARE = 0.03
USERS_PER_SESSION = 1 / 8
REGISTERED_SHARE = 0.6
SYNTHETIC_SHARE = 0.05  # of all AI requests: the nightly evaluation runs
HUMAN_KINDS = (("browse", 76.0), ("member", 14.0), ("app", 10.0))
HACKER_NEWS_SHARE = 0.04
BATCH_SESSIONS = 2_000
PLATFORM_TABLES: tuple[tuple[str, str | None], ...] = (
    ("ai_requests", "requested_at"),
    ("tool_executions", "started_at"),
    ("agent_tasks", "started_at"),
    ("conversations", "started_at"),
    ("conversation_messages", None),  # kept in conversation order
)
PHASE = "Generating sessions"
DERIVE_PHASE = "Deriving summaries"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SessionPlan:
    humans: int
    bots: int
    cli: int

    @classmethod
    def for_total(cls, total: int) -> SessionPlan:
        cli = round(total * CLI_SHARE)
        bots = round(total * BOT_SHARE)
        return cls(humans=total - cli - bots, bots=bots, cli=cli)


def generate_batches(
    window: Window, sessions: int, seed: int, progress: Progress | None = None
) -> Iterator[Dataset]:
    """The demo dataset in batches of about :data:`BATCH_SESSIONS` finished sessions with
    their events and platform activity; the first batch also holds the funnel definition and
    the content registry, the last the tables that summarise everything (reputation, users,
    alerts). Memory stays bounded whatever the size."""
    return _Build(window, sessions, seed, progress).batches()


def build_dataset(
    window: Window, sessions: int, seed: int, progress: Progress | None = None
) -> Dataset:
    """Every row of a demo dataset of ``sessions`` sessions in ``window``, in memory."""
    merged = Dataset()
    for batch in generate_batches(window, sessions, seed, progress):
        merged.absorb(batch)
    return merged


class _Build:
    def __init__(self, window: Window, sessions: int, seed: int, progress: Progress | None):
        self.window = window
        self.total = sessions
        self.root = DemoRandom(seed)
        self.progress = progress
        self.plan = SessionPlan.for_total(sessions)
        self.data = Dataset()  # platform rows accumulate here until the next batch
        self._ids = self.root.stream("session-ids")
        self._done = 0
        audience = Audience()
        browsing = dict(HUMAN_KINDS)["browse"] / sum(weight for _, weight in HUMAN_KINDS)
        expected_signups = round(self.plan.humans * browsing * CONVERSION_SHARE)
        registered = round(sessions * USERS_PER_SESSION * REGISTERED_SHARE) - expected_signups
        self.users = UserBase(self.root.stream("users"), audience, window, max(5, registered))
        self.platform = Platform(self.root.stream("platform"), window, self.data, PriceBook())
        self.humans = HumanTraffic(
            self.root.stream("humans"), window, audience, self.users, self.platform
        )
        self.cli = CliTraffic(self.root.stream("cli"), window, self.platform)
        self.bots = BotTraffic(self.root.stream("bots"), window)
        self._ai_requests_so_far = 0
        self.reputation = ReputationTracker(self._is_registered)
        self.evidence = extras.AlertEvidence(headless_fingerprint=self.bots.headless_fingerprint)
        self._datacenters: DatacenterDetector | None = None

    def batches(self) -> Iterator[Dataset]:
        self._report(0)
        # CLI sessions need a registered developer; without one they become web visits.
        has_developer = self.users.pick_developer(self.root.stream("probe")) is not None
        cli_count = self.plan.cli if has_developer else 0
        human_count = self.plan.humans + self.plan.cli - cli_count
        schedule, hn_start = _human_schedule(
            self.root.stream("human-times"), self.window, human_count
        )
        first = Dataset()
        first.funnel, first.funnel_steps = funnel.funnel_definition(self.window)
        published = hn_start - 2 * MS_PER_HOUR if hn_start is not None else None
        first.rows["content_items"] = extras.content_items(
            self.root.stream("content"), self.window, LAUNCH_POST, published
        )
        yield first
        pending: list[SessionBuilder] = []
        for builder in self._all_sessions(schedule, cli_count):
            pending.append(builder)
            self._report(1)
            if len(pending) >= BATCH_SESSIONS:
                yield self._flush(pending)
                pending = []
        ai_requests = self._ai_requests_so_far + len(self.data.table("ai_requests"))
        _evaluation_runs(self.root.stream("evals"), self.window, self.platform, ai_requests)
        last = self._flush(pending)
        self._derived(0)
        last.rows["fingerprint_reputation"] = self.reputation.rows(self.window)
        self._derived(1)
        last.rows["anomaly_alerts"] = extras.anomaly_alerts(self.window, self.evidence)
        last.rows["users"] = self.users.rows(self.root.stream("user-rows"))
        self._derived(2)
        yield last

    def _all_sessions(
        self, schedule: list[tuple[int, str]], cli_count: int
    ) -> Iterator[SessionBuilder]:
        """Humans in time order, then CLI sessions, then bots."""
        self.humans.add_earlier_visitors(max(5, len(schedule) // 2))
        for start, kind in schedule:
            yield self.humans.visit(kind, start, self._new_id())
        rng = self.root.stream("cli-times")
        rhythm = Rhythm(self.window, WORKDAY_HOURLY, weekend_factor=0.35, growth=0.2)
        # Two developers start a long agent run just before the end: tasks still working.
        forced = min(2, cli_count)
        for start in sorted(rhythm.draw(rng) for _ in range(cli_count - forced)):
            yield self.cli.session(self._new_id(), self._developer(rng), start)
        for _ in range(forced):
            start = self.window.length_ms - rng.randint(15_000, 45_000)
            yield self.cli.forced_agent_session(self._new_id(), self._developer(rng), start)
        bot_rng = self.root.stream("bot-times")
        bot_rhythm = Rhythm(self.window, FLAT_HOURLY, weekend_factor=1.0)
        yield from self.bots.generate(
            self.plan.bots, self._new_id, lambda: bot_rhythm.draw(bot_rng)
        )

    def _flush(self, builders: list[SessionBuilder]) -> Dataset:
        """A batch: the finished sessions, their events and the platform rows so far."""
        batch = Dataset()
        bots = [builder for builder in builders if builder.flags.any_bot]
        if bots:
            # Visitors' addresses come from ISP blocks (a test proves none is a datacenter's).
            if self._datacenters is None:
                self._datacenters = DatacenterDetector.bundled(cache_size=4096)
            mark_datacenters(bots, self._datacenters)
        for builder in bots:
            self.evidence.add_bot(builder, heavy_scanner=builder.id == self.bots.heavy_scanner_id)
        for builder in builders:
            if builder.user_id is not None:
                self.users.by_id[builder.user_id].seen(builder.span()[1])
            self.reputation.add(builder)
        batch.funnel_progress = funnel.funnel_progress(builders, self.window)
        builders.sort(key=lambda builder: (builder.span()[0], builder.id))
        session_rows = batch.table("sessions")
        request_rows = batch.table("request_events")
        client_rows = batch.table("client_events")
        engagement_rows = batch.table("engagement_events")
        for builder in builders:
            session_row, requests = finalise_session(builder, self.window)
            session_rows.append(session_row)
            request_rows.extend(requests)
            client_rows.extend(sorted(builder.client_events, key=itemgetter("occurred_at")))
            engagement_rows.extend(builder.engagement)
        self._ai_requests_so_far += len(self.data.table("ai_requests"))
        for name, key in PLATFORM_TABLES:
            rows = self.data.table(name)
            batch.rows[name] = sorted(rows, key=itemgetter(key, "id")) if key else list(rows)
            rows.clear()  # the platform keeps appending to the same lists
        return batch

    def _new_id(self) -> str:
        return f"sess_{self._ids.uuid_hex()}"

    def _is_registered(self, user_id: str) -> bool:
        return not self.users.by_id[user_id].is_anonymous

    def _report(self, count: int) -> None:
        self._done += count
        if self.progress is not None and (
            count == 0 or self._done % 500 == 0 or self._done == self.total
        ):
            self.progress(PHASE, self._done, self.total)

    def _derived(self, done: int) -> None:
        if self.progress is not None:
            self.progress(DERIVE_PHASE, done, 2)

    def _developer(self, rng: DemoRandom) -> User:
        user = self.users.pick_developer(rng)
        if user is None:  # pragma: no cover - batches() only plans CLI sessions with developers
            raise RuntimeError("no user has the CLI installed")
        return user


def _human_schedule(
    rng: DemoRandom, window: Window, count: int
) -> tuple[list[tuple[int, str]], int | None]:
    """Start times and kinds of the human sessions, in time order, and the start of the
    Hacker News spike (if the window is long enough for one)."""
    length = window.length_ms
    rhythm = Rhythm(window, HUMAN_HOURLY, weekend_factor=0.6, growth=0.15)
    kinds = Weighted(list(HUMAN_KINDS))
    # A few visits in the last minutes, so some sessions are still active at the end.
    tail = min(count, max(3, count // 500))
    spike = round(count * HACKER_NEWS_SHARE) if length >= 2 * MS_PER_DAY else 0
    spike = min(spike, count - tail)
    starts: list[tuple[int, str]] = []
    for _ in range(count - tail - spike):
        starts.append((rhythm.draw(rng), kinds.pick(rng)))
    for _ in range(tail):
        starts.append((length - rng.randint(30_000, 25 * MS_PER_MINUTE), kinds.pick(rng)))
    hn_start: int | None = None
    if spike:
        day = int(length / MS_PER_DAY * 0.6)
        day_start = (
            window.ms_of(window.start.replace(hour=0, minute=0, second=0, microsecond=0))
            + day * MS_PER_DAY
        )
        hn_start = max(0, day_start + 13 * MS_PER_HOUR + rng.randint(0, 30) * MS_PER_MINUTE)
        for _ in range(spike):
            offset = int(rng.expovariate(1 / (3 * MS_PER_HOUR)))
            starts.append((min(hn_start + offset, length - MS_PER_HOUR), "hacker_news"))
    starts.sort()
    return starts, hn_start


def _evaluation_runs(rng: DemoRandom, window: Window, platform: Platform, ai_requests: int) -> None:
    """Nightly evaluation batches at 02:00 UTC: the synthetic share of all AI requests."""
    total = round(ai_requests * SYNTHETIC_SHARE / (1 - SYNTHETIC_SHARE))
    midnight = window.start.replace(hour=0, minute=0, second=0, microsecond=0)
    runs: list[int] = []
    day = 0
    while True:
        at = window.ms_of(midnight) + day * MS_PER_DAY + 2 * MS_PER_HOUR
        if at >= window.length_ms - 30 * MS_PER_MINUTE:
            break
        if at >= 0:
            runs.append(at + rng.randint(0, 10) * MS_PER_MINUTE)
        day += 1
    if not runs or total == 0:
        return
    for index, at in enumerate(runs):
        share = total // len(runs) + (1 if index < total % len(runs) else 0)
        platform.evaluation_run(at, share)
