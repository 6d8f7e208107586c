"""The whole data model as SQLAlchemy Core tables.

The Alembic migrations are the truth about what is in a database; a test compares the
migrated schema with these tables on SQLite and PostgreSQL so the two never drift.

Conventions: timestamps are UTC (:class:`UTCDateTime`), windows are half-open, money is
integer microdollars (1 USD = 1,000,000), ids of host-reported facts are the host's strings.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)

from systemprompt_analytics.storage.types import BigIntPK, JSONType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _flag(name: str) -> Column[bool]:
    return Column(name, Boolean, nullable=False, server_default=false())


def _counter(name: str) -> Column[int]:
    return Column(name, BigInteger, nullable=False, server_default=text("0"))


# --------------------------------------------------------------------------------------
# Key/value facts about this database (e.g. that it holds demo data).
# --------------------------------------------------------------------------------------
analytics_meta = Table(
    "analytics_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# --------------------------------------------------------------------------------------
# Users the host reports (identify); anonymous users have no registration.
# --------------------------------------------------------------------------------------
users = Table(
    "users",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("is_anonymous", Boolean, nullable=False, server_default=false()),
    Column("display_name", String(256)),
    Column("email", String(320)),
    Column("traits", JSONType),
    Column("created_at", UTCDateTime, nullable=False),
    Column("registered_at", UTCDateTime),
    Column("last_seen_at", UTCDateTime),
    Index("ix_users_created_at", "created_at"),
    Index("ix_users_last_seen_at", "last_seen_at"),
)

# --------------------------------------------------------------------------------------
# Sessions: one visit (web) or one client session (api, cli, mcp, ...).
# --------------------------------------------------------------------------------------
SESSION_SOURCES = ("web", "api", "cli", "mcp", "oauth", "bridge", "unknown")

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sess_ + 32 hex (identity.new_session_id)
    # user_id is not a foreign key: hosts report users after the sessions that create them.
    Column("user_id", String(128)),
    # visitor_hash counts visitors (cookie visitor id, or a daily-salted hash in privacy
    # mode); fingerprint_hash is the stable keyed hash that reputation is tracked under.
    Column("visitor_hash", String(64)),
    Column("fingerprint_hash", String(64)),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_activity_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("duration_seconds", Integer),
    Column("source", String(16), nullable=False, server_default="web"),
    Column("ip", String(45)),
    Column("user_agent", Text),
    Column("device_type", String(16)),
    Column("browser", String(64)),
    Column("browser_version", String(32)),
    Column("os", String(64)),
    Column("os_version", String(32)),
    Column("country", String(2)),
    Column("region", String(128)),
    Column("city", String(128)),
    Column("locale", String(35)),
    Column("referrer_url", Text),
    Column("referrer_source", String(255)),
    Column("channel", String(16)),
    Column("landing_page", Text),
    Column("entry_url", Text),
    Column("utm_source", String(255)),
    Column("utm_medium", String(255)),
    Column("utm_campaign", String(255)),
    Column("utm_content", String(255)),
    Column("utm_term", String(255)),
    _counter("request_count"),
    _counter("page_view_count"),
    _counter("event_count"),
    _counter("error_count"),
    _counter("task_count"),
    _counter("message_count"),
    _counter("ai_request_count"),
    _counter("total_tokens"),
    _counter("cost_microdollars"),
    _flag("is_bot"),
    _flag("is_ai_crawler"),
    _flag("is_scanner"),
    _flag("is_behavioral_bot"),
    _flag("is_datacenter"),
    # Why is_datacenter is set: the hosting provider the address belongs to (aws, gcp, ...).
    Column("hosting_provider", String(64)),
    Column("bot_name", String(128)),
    Column("bot_category", String(32)),
    Column("bot_reason", Text),
    Column("behavioral_score", SmallInteger, nullable=False, server_default=text("0")),
    Column("behavioral_signals", JSONType),
    Column("throttle_level", SmallInteger, nullable=False, server_default=text("0")),
    Column("converted_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    CheckConstraint(
        "source IN ('web','api','cli','mcp','oauth','bridge','unknown')", name="source"
    ),
    CheckConstraint("throttle_level BETWEEN 0 AND 3", name="throttle_level"),
    Index("ix_sessions_started_at", "started_at"),
    Index("ix_sessions_user_id", "user_id"),
    Index("ix_sessions_visitor_hash", "visitor_hash"),
    Index("ix_sessions_fingerprint_hash", "fingerprint_hash", "started_at"),
    Index("ix_sessions_ended_at", "ended_at"),
    # Batches update counters and last_activity_at constantly. Leaving those columns out of
    # every index, and some free space in each page, lets PostgreSQL update in place (HOT)
    # instead of writing a new entry into every index. "Active now" narrows by started_at.
    postgresql_with={"fillfactor": 80},
)

SESSION_COUNTERS = (
    "request_count",
    "page_view_count",
    "event_count",
    "error_count",
    "task_count",
    "message_count",
    "ai_request_count",
    "total_tokens",
    "cost_microdollars",
)
SESSION_FLAGS = ("is_bot", "is_ai_crawler", "is_scanner", "is_behavioral_bot", "is_datacenter")
# How batched activity merges into a session row (see ingest/activity.py): counters add,
# flags OR, descriptive attributes keep the first non-NULL value.
SESSION_ATTRIBUTES = (
    "user_id",
    "visitor_hash",
    "fingerprint_hash",
    "source",
    "ip",
    "user_agent",
    "device_type",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "country",
    "region",
    "city",
    "locale",
    "referrer_url",
    "referrer_source",
    "channel",
    "landing_page",
    "entry_url",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "hosting_provider",
    "bot_name",
    "bot_category",
    "bot_reason",
    # First conversion and revocation win, like every attribute.
    "converted_at",
    "revoked_at",
)


# --------------------------------------------------------------------------------------
# Events. Append-only, written in batches; candidates for time partitioning later.
# --------------------------------------------------------------------------------------

# Event tables reference sessions by id without a foreign key: the writer upserts the session
# in the same transaction as its events, and a per-row FK check (with its row lock) made COPY
# several times slower. It also keeps these tables free to be partitioned by time or moved to
# a column store. Deleting a session's data deletes its events explicitly (GDPR helpers).

request_events = Table(
    "request_events",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("session_id", String(64), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", Text, nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("latency_ms", Float),
    Column("kind", String(16), nullable=False),  # page, api, asset, beacon, health
    Column("response_bytes", BigInteger),
    _flag("is_bot"),
    _flag("is_ai_crawler"),
    _flag("is_scanner"),
    Index("ix_request_events_occurred_at", "occurred_at"),
    Index("ix_request_events_session_id", "session_id", "occurred_at"),
)

client_events = Table(
    "client_events",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    # Set by the tracker; unique so a retried batch stores nothing twice.
    Column("client_event_id", String(64), unique=True),
    Column("session_id", String(64), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("event_type", String(16), nullable=False),  # page_view, link_click, scroll, ...
    Column("name", String(128)),
    Column("path", Text),
    Column("target_url", Text),
    Column("properties", JSONType),
    Column("schema_version", SmallInteger, nullable=False, server_default=text("1")),
    # page_view: the document title and referrer; scroll: the depth reached (percent).
    Column("title", String(300)),
    Column("referrer", Text),
    Column("scroll_depth", SmallInteger),
    CheckConstraint("scroll_depth BETWEEN 0 AND 100", name="scroll_depth"),
    Index("ix_client_events_occurred_at", "occurred_at"),
    Index("ix_client_events_session_id", "session_id", "occurred_at"),
    Index("ix_client_events_type_occurred_at", "event_type", "occurred_at"),
)

engagement_events = Table(
    "engagement_events",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("client_event_id", String(64), unique=True),
    Column("session_id", String(64), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("path", Text, nullable=False),
    Column("time_on_page_ms", BigInteger, nullable=False, server_default=text("0")),
    Column("visible_time_ms", BigInteger, nullable=False, server_default=text("0")),
    # engaged = visible and focused; the "time on page" definition uses this one.
    Column("engaged_time_ms", BigInteger, nullable=False, server_default=text("0")),
    Column("max_scroll_depth", SmallInteger, nullable=False, server_default=text("0")),
    Column("click_count", Integer, nullable=False, server_default=text("0")),
    Column("rage_click_count", Integer, nullable=False, server_default=text("0")),
    Column("dead_click_count", Integer, nullable=False, server_default=text("0")),
    Column("time_to_first_interaction_ms", BigInteger),
    Column("reading_pattern", String(16)),  # bounce, skim, scan, read, engaged
    Column("properties", JSONType),
    CheckConstraint("max_scroll_depth BETWEEN 0 AND 100", name="max_scroll_depth"),
    Index("ix_engagement_events_occurred_at", "occurred_at"),
    Index("ix_engagement_events_session_id", "session_id"),
    Index("ix_engagement_events_path_occurred_at", "path", "occurred_at"),
)

# --------------------------------------------------------------------------------------
# Bot defence.
# --------------------------------------------------------------------------------------
fingerprint_reputation = Table(
    "fingerprint_reputation",
    metadata,
    Column("fingerprint_hash", String(64), primary_key=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    _counter("session_count"),
    _counter("request_count"),
    Column("requests_last_hour", Integer, nullable=False, server_default=text("0")),
    Column("peak_requests_per_minute", Integer, nullable=False, server_default=text("0")),
    Column("sustained_high_velocity_minutes", Integer, nullable=False, server_default=text("0")),
    _flag("is_flagged"),
    Column("flag_reason", String(64)),
    Column("reputation_score", SmallInteger, nullable=False, server_default=text("50")),
    Column("abuse_incidents", Integer, nullable=False, server_default=text("0")),
    Column("last_incident_at", UTCDateTime),
    Column("associated_user_ids", JSONType),
    Column("last_user_agent", Text),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("reputation_score BETWEEN 0 AND 100", name="reputation_score"),
    Index("ix_fingerprint_reputation_score", "reputation_score"),
    Index("ix_fingerprint_reputation_last_seen_at", "last_seen_at"),
)

# --------------------------------------------------------------------------------------
# Funnels.
# --------------------------------------------------------------------------------------
funnels = Table(
    "funnels",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("description", Text),
    Column("mode", String(16), nullable=False, server_default="ordered"),
    Column("unit", String(16), nullable=False, server_default="session"),
    Column("window_seconds", Integer, nullable=False, server_default=text("86400")),
    Column("is_active", Boolean, nullable=False, server_default=true()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("mode IN ('ordered','strict')", name="mode"),
    CheckConstraint("unit IN ('session','visitor')", name="unit"),
)

funnel_steps = Table(
    "funnel_steps",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("funnel_id", BigInteger, ForeignKey("funnels.id", ondelete="CASCADE"), nullable=False),
    Column("step_order", SmallInteger, nullable=False),
    Column("name", String(128), nullable=False),
    Column("matcher_type", String(16), nullable=False),
    Column("matcher_value", Text, nullable=False),
    Column("event_filters", JSONType),
    UniqueConstraint("funnel_id", "step_order"),
    CheckConstraint(
        "matcher_type IN ('url_exact','url_prefix','url_regex','event')", name="matcher_type"
    ),
)

funnel_progress = Table(
    "funnel_progress",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("funnel_id", BigInteger, ForeignKey("funnels.id", ondelete="CASCADE"), nullable=False),
    Column("unit_key", String(64), nullable=False),  # session id or visitor hash
    Column("session_id", String(64)),
    Column("current_step", SmallInteger, nullable=False),  # index of the last step reached
    # ISO timestamps at which each step was reached, in step order.
    Column("step_timestamps", JSONType, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    # The attempt still being matched, when it is not the one recorded above (a restart after
    # the window expired or a strict-mode break): NULL = the same attempt, [] = none live.
    Column("attempt_timestamps", JSONType),
    # One progress row per funnel and unit, enforced here so concurrent ingestion cannot race.
    UniqueConstraint("funnel_id", "unit_key"),
    Index("ix_funnel_progress_funnel_started", "funnel_id", "started_at"),
)

# --------------------------------------------------------------------------------------
# Anomaly detection.
# --------------------------------------------------------------------------------------
anomaly_thresholds = Table(
    "anomaly_thresholds",
    metadata,
    Column("metric_name", String(64), primary_key=True),
    Column("warning_threshold", Float, nullable=False),
    Column("critical_threshold", Float, nullable=False),
    Column("description", Text),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("warning_threshold <= critical_threshold", name="warning_le_critical"),
)

anomaly_alerts = Table(
    "anomaly_alerts",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("metric_name", String(64), nullable=False),
    Column("subject", String(128), nullable=False, server_default="platform"),
    Column("level", String(16), nullable=False),  # warning, critical
    Column("state", String(16), nullable=False),  # pending, firing, resolved
    Column("value", Float, nullable=False),
    Column("baseline", Float),
    Column("detector", String(32), nullable=False),
    Column("message", Text),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("notified_at", UTCDateTime),
    CheckConstraint("level IN ('warning','critical')", name="level"),
    CheckConstraint("state IN ('pending','firing','resolved')", name="state"),
    Index("ix_anomaly_alerts_metric_subject_state", "metric_name", "subject", "state"),
    Index("ix_anomaly_alerts_started_at", "started_at"),
)

# --------------------------------------------------------------------------------------
# Platform facts the host reports.
# --------------------------------------------------------------------------------------
ai_requests = Table(
    "ai_requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    Column("provider", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("response_model", String(128)),
    _counter("input_tokens"),
    _counter("output_tokens"),
    _counter("cache_read_tokens"),
    _counter("cache_write_tokens"),
    _counter("reasoning_tokens"),
    _counter("total_tokens"),
    # NULL cost means unpriced (unknown model): never guessed, reported separately.
    Column("cost_microdollars", BigInteger),
    _flag("is_priced"),
    Column("price_source", String(64)),
    Column("price_version", String(64)),
    # The host reported the cost itself: `costs reprice` never recomputes such a row.
    _flag("is_cost_explicit"),
    Column("latency_ms", Integer),
    Column("time_to_first_token_ms", Integer),
    Column("status", String(16), nullable=False, server_default="success"),
    _flag("is_streaming"),
    _flag("cache_hit"),
    _flag("is_synthetic"),
    Column("error_message", Text),
    Column("user_id", String(128)),
    Column("session_id", String(64)),
    Column("task_id", String(64)),
    Column("context_id", String(64)),
    Column("conversation_id", String(64)),
    Column("agent_name", String(128)),
    Index("ix_ai_requests_requested_at", "requested_at"),
    Index("ix_ai_requests_model_requested_at", "model", "requested_at"),
    Index("ix_ai_requests_user_id", "user_id", "requested_at"),
    Index("ix_ai_requests_session_id", "session_id"),
    Index("ix_ai_requests_task_id", "task_id"),
    # Hosts may report a fact again (retries): appends skip ids already stored (storage/bulk.py).
    info={"append_once_by": "id"},
)

tool_executions = Table(
    "tool_executions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    Column("tool_name", String(128), nullable=False),
    Column("server_name", String(128)),
    Column("status", String(16), nullable=False),
    Column("duration_ms", Integer),
    Column("error_message", Text),
    Column("agent_name", String(128)),
    Column("task_id", String(64)),
    Column("session_id", String(64)),
    Column("user_id", String(128)),
    Column("context_id", String(64)),
    CheckConstraint("status IN ('success','failed','timeout')", name="status"),
    Index("ix_tool_executions_started_at", "started_at"),
    Index("ix_tool_executions_tool_started_at", "tool_name", "started_at"),
    Index("ix_tool_executions_task_id", "task_id"),
    # The few executions that did not succeed: their error messages are read raw (top errors).
    Index(
        "ix_tool_executions_unsuccessful_started_at",
        "started_at",
        postgresql_where=text("status <> 'success'"),
        sqlite_where=text("status <> 'success'"),
    ),
    # Hosts may report a fact again (retries): appends skip ids already stored (storage/bulk.py).
    info={"append_once_by": "id"},
)

AGENT_TASK_STATUSES = (
    "submitted",
    "working",
    "input_required",
    "completed",
    "failed",
    "canceled",
    "rejected",
)

agent_tasks = Table(
    "agent_tasks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("agent_name", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    Column("duration_ms", BigInteger),
    Column("error_message", Text),
    Column("user_id", String(128)),
    Column("session_id", String(64)),
    Column("context_id", String(64)),
    Column("conversation_id", String(64)),
    # When the stored status was reported: status reports that arrive out of order never
    # move a task back (see platform/store.py).
    Column("updated_at", UTCDateTime),
    CheckConstraint(
        "status IN ('submitted','working','input_required','completed','failed',"
        "'canceled','rejected')",
        name="status",
    ),
    Index("ix_agent_tasks_started_at", "started_at"),
    Index("ix_agent_tasks_agent_started_at", "agent_name", "started_at"),
    Index("ix_agent_tasks_user_started_at", "user_id", "started_at"),  # ``users top``'s tasks
    # The few tasks that ended in error: their messages are read raw (agents' top errors).
    Index(
        "ix_agent_tasks_failed_started_at",
        "started_at",
        postgresql_where=text("status IN ('failed','rejected')"),
        sqlite_where=text("status IN ('failed','rejected')"),
    ),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(128)),
    Column("session_id", String(64)),
    Column("agent_name", String(128)),
    Column("title", Text),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_message_at", UTCDateTime),
    Column("message_count", Integer, nullable=False, server_default=text("0")),
    Index("ix_conversations_started_at", "started_at"),
    Index("ix_conversations_user_id", "user_id"),
)

conversation_messages = Table(
    "conversation_messages",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    # The host's id of the message; unique so a retried report stores it once.
    Column("message_id", String(64), unique=True),
    Column(
        "conversation_id",
        String(64),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("role", String(16), nullable=False),  # user, assistant, system, tool
    Column("created_at", UTCDateTime, nullable=False),
    Column("token_count", Integer),
    # Content is optional: many hosts report only the shape of a conversation.
    Column("content", Text),
    CheckConstraint("role IN ('user','assistant','system','tool')", name="role"),
    Index("ix_conversation_messages_conversation", "conversation_id", "created_at"),
    Index("ix_conversation_messages_created_at", "created_at"),
)

# --------------------------------------------------------------------------------------
# Optional content registry: gives normalised paths an id, slug and title.
# --------------------------------------------------------------------------------------
content_items = Table(
    "content_items",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("path", Text, nullable=False, unique=True),
    Column("slug", String(255)),
    Column("title", Text),
    Column("kind", String(32)),
    Column("published_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

# --------------------------------------------------------------------------------------
# Rollups (storage/rollups/): the heavy tables aggregated per hour and per day, each bucket
# recomputed from its raw rows, so a rollup always says what its raw rows say. Group keys
# may be NULL (no unique key: buckets are replaced whole, never upserted); ``*_values``
# columns hold every value of the bucket, sorted, for exact percentiles.
# --------------------------------------------------------------------------------------
ROLLUP_TIERS = ("hourly", "daily")


def _rollup_tables(name: str, columns: tuple[tuple[str, Any, bool], ...]) -> tuple[Table, ...]:
    """The hourly and daily tables of one rollup: ``bucket_at`` (the start of the UTC hour or
    day), then ``columns`` as (name, type, nullable); non-nullable counters default to 0."""

    def build(tier: str) -> Table:
        table_name = f"rollup_{name}_{tier}"
        return Table(
            table_name,
            metadata,
            Column("bucket_at", UTCDateTime, nullable=False),
            *(
                Column(column, kind, nullable=nullable)
                if nullable or kind is not BigInteger
                else _counter(column)
                for column, kind, nullable in columns
            ),
            Index(f"ix_{table_name}_bucket_at", "bucket_at"),
        )

    return tuple(build(tier) for tier in ROLLUP_TIERS)


def _counters(*names: str) -> tuple[tuple[str, Any, bool], ...]:
    return tuple((name, BigInteger, False) for name in names)


_TOKEN_COUNTERS = tuple(
    f"{kind}_tokens"
    for kind in ("input", "output", "cache_read", "cache_write", "reasoning", "total")
)

rollup_ai_requests_hourly, rollup_ai_requests_daily = _rollup_tables(
    "ai_requests",
    (
        ("provider", String(64), False),
        ("model", String(128), False),
        ("agent_name", String(128), True),
        ("is_synthetic", Boolean, False),
        *_counters("requests", "failed", "streaming", "cache_hits", *_TOKEN_COUNTERS),
        *_counters("priced_requests", "unpriced_requests"),
        *_counters(*(f"unpriced_{name}" for name in _TOKEN_COUNTERS)),
        # NULL when no request of the bucket is priced (an unknown cost, never 0).
        ("cost_microdollars", BigInteger, True),
        *_counters("latency_ms_sum", "latency_ms_count"),
        ("unpriced_first_at", UTCDateTime, True),
        ("unpriced_last_at", UTCDateTime, True),
    ),
)
rollup_ai_latencies_hourly, rollup_ai_latencies_daily = _rollup_tables(
    "ai_latencies",
    (
        ("provider", String(64), False),
        ("model", String(128), False),
        ("is_synthetic", Boolean, False),
        ("latency_ms_values", LargeBinary, True),
        ("time_to_first_token_ms_values", LargeBinary, True),
    ),
)
rollup_ai_users_hourly, rollup_ai_users_daily = _rollup_tables(
    "ai_users",
    (
        ("user_id", String(128), True),
        ("is_synthetic", Boolean, False),
        *_counters("requests", "priced_requests", "unpriced_requests"),
        *_counters("total_tokens", "unpriced_total_tokens"),
        ("cost_microdollars", BigInteger, True),
    ),
)
rollup_tool_executions_hourly, rollup_tool_executions_daily = _rollup_tables(
    "tool_executions",
    (
        ("tool_name", String(128), False),
        ("server_name", String(128), True),
        ("agent_name", String(128), True),
        ("status", String(16), False),
        *_counters("executions", "duration_ms_sum", "duration_ms_count"),
    ),
)
rollup_tool_durations_hourly, rollup_tool_durations_daily = _rollup_tables(
    "tool_durations",
    (
        ("tool_name", String(128), False),
        ("server_name", String(128), True),
        ("duration_ms_values", LargeBinary, True),
    ),
)
rollup_sessions_hourly, rollup_sessions_daily = _rollup_tables(
    "sessions",
    (
        ("kind", String(8), False),  # engaged, ghost (the two human kinds) or bot
        ("bot_category", String(32), True),
        ("bot_reason", Text, True),
        ("is_ai_crawler", Boolean, False),
        ("is_throttled", Boolean, False),
        ("is_converted", Boolean, False),
        *_counters("sessions", "request_count"),
        ("duration_seconds_sum", Float, False),
    ),
)
# The visitors of the sessions started in the bucket (human or bot), as a key set: the
# distinct visitors of any window (sessions stats and trends, the traffic reports' totals).
rollup_session_visitors_hourly, rollup_session_visitors_daily = _rollup_tables(
    "session_visitors", (("is_human", Boolean, False), ("visitor_keys", LargeBinary, True))
)
rollup_page_views_hourly, rollup_page_views_daily = _rollup_tables(
    "page_views",
    (("is_human", Boolean, False), *_counters("page_views")),
)
# The traffic reports' sessions by source, landing page, location and device (human or bot),
# with their page views, bounces, capped duration and visitors (a key set).
_TRAFFIC_MEASURES = (
    ("is_human", Boolean, False),
    *_counters("sessions", "page_views", "page_view_sessions", "bounces"),
    ("duration_seconds_sum", Float, False),
    ("visitor_keys", LargeBinary, True),
)
rollup_traffic_sources_hourly, rollup_traffic_sources_daily = _rollup_tables(
    "traffic_sources",
    (("channel", String(16), True), ("source", String(255), True), *_TRAFFIC_MEASURES),
)
rollup_traffic_landing_hourly, rollup_traffic_landing_daily = _rollup_tables(
    "traffic_landing", (("path", Text, True), *_TRAFFIC_MEASURES)
)
rollup_traffic_geo_hourly, rollup_traffic_geo_daily = _rollup_tables(
    "traffic_geo",
    (
        ("country", String(2), True),
        ("region", String(128), True),
        ("city", String(128), True),
        *_TRAFFIC_MEASURES,
    ),
)
rollup_traffic_devices_hourly, rollup_traffic_devices_daily = _rollup_tables(
    "traffic_devices",
    (
        ("device_type", String(16), True),
        ("browser", String(64), True),
        ("os", String(64), True),
        *_TRAFFIC_MEASURES,
    ),
)
# The content reports: page views, visitors (key sets) and engagement rows per page and over
# all pages, and page views by the page viewed before them (navigation transitions). Reports
# read the per-page rows for a few pages at a time, or their largest counts (hence the
# indexes); totals come from the page-less rollups.
_ENGAGEMENT_MEASURES = (
    *_counters("engaged_views", "time_on_page_ms_sum", "scroll_depth_sum"),
    *_counters("clicks", "rage_clicks", "dead_clicks"),
    *_counters("views_with_rage_clicks", "views_with_dead_clicks"),
    # Engagement rows per reading pattern (rows without one are the rest).
    *_counters("pattern_bounce", "pattern_skim", "pattern_scan", "pattern_read"),
    *_counters("pattern_engaged"),
)
rollup_content_views_hourly, rollup_content_views_daily = _rollup_tables(
    "content_views",
    (
        ("path", Text, False),
        ("is_human", Boolean, False),
        *_counters("page_views"),
        ("visitor_keys", LargeBinary, True),
    ),
)
rollup_content_totals_hourly, rollup_content_totals_daily = _rollup_tables(
    "content_totals",
    (
        ("is_human", Boolean, False),
        *_counters("page_views"),
        ("visitor_keys", LargeBinary, True),
        ("page_keys", LargeBinary, True),
    ),
)
rollup_content_engagement_hourly, rollup_content_engagement_daily = _rollup_tables(
    "content_engagement",
    (("path", Text, False), ("is_human", Boolean, False), *_ENGAGEMENT_MEASURES),
)
rollup_content_engagement_totals_hourly, rollup_content_engagement_totals_daily = _rollup_tables(
    "content_engagement_totals",
    (("is_human", Boolean, False), *_ENGAGEMENT_MEASURES, ("page_keys", LargeBinary, True)),
)
rollup_navigation_hourly, rollup_navigation_daily = _rollup_tables(
    "navigation",
    (
        ("from_path", Text, True),  # NULL: the session's first page view (an entry)
        ("to_path", Text, False),
        ("is_human", Boolean, False),
        *_counters("page_views"),
        ("session_keys", LargeBinary, True),
    ),
)
rollup_navigation_totals_hourly, rollup_navigation_totals_daily = _rollup_tables(
    "navigation_totals",
    (
        ("is_human", Boolean, False),
        *_counters("transitions"),
        ("session_keys", LargeBinary, True),
        ("pair_keys", LargeBinary, True),  # the distinct (previous page, page) pairs
    ),
)
for _table in (
    rollup_content_views_hourly,
    rollup_content_views_daily,
    rollup_content_engagement_hourly,
    rollup_content_engagement_daily,
):
    Index(f"ix_{_table.name}_path", _table.c.path, _table.c.bucket_at)
for _table in (rollup_content_views_hourly, rollup_content_views_daily):
    # The most viewed pages are found from the buckets' largest counts.
    Index(f"ix_{_table.name}_page_views", _table.c.page_views, _table.c.bucket_at)
for _table in (rollup_navigation_hourly, rollup_navigation_daily):
    # The most frequent transitions likewise, over a long tail of pairs: the indexes cover
    # what those look-ups read, so PostgreSQL can answer from them alone.
    Index(
        f"ix_{_table.name}_paths",
        _table.c.from_path,
        _table.c.to_path,
        _table.c.bucket_at,
        postgresql_include=["is_human", "page_views"],
    )
    Index(
        f"ix_{_table.name}_page_views",
        _table.c.page_views,
        _table.c.bucket_at,
        postgresql_include=["is_human", "from_path", "to_path"],
    )
for _table in (rollup_content_engagement_hourly, rollup_content_engagement_daily):
    Index(f"ix_{_table.name}_engaged_views", _table.c.engaged_views, _table.c.bucket_at)

# Platform reports. Human sessions by start and by how many hour boundaries they last across
# (``users stats``: active users and visitors, exact, from the key sets).
rollup_session_people_hourly, rollup_session_people_daily = _rollup_tables(
    "session_people",
    (
        ("hours_active", Integer, False),
        ("user_keys", LargeBinary, True),
        ("visitor_keys", LargeBinary, True),
    ),
)
# Conversations by start: their messages (all of them), users, and the long ones by id.
rollup_conversations_hourly, rollup_conversations_daily = _rollup_tables(
    "conversations",
    (
        ("agent_name", String(128), True),
        ("long_id", String(64), True),  # a conversation with many messages; NULL for the rest
        *_counters("conversations", "messages"),
        ("user_keys", LargeBinary, True),
    ),
)
rollup_conversation_messages_hourly, rollup_conversation_messages_daily = _rollup_tables(
    "conversation_messages", _counters("messages", "tokens")
)
rollup_agent_tasks_hourly, rollup_agent_tasks_daily = _rollup_tables(
    "agent_tasks",
    (
        ("agent_name", String(128), False),
        ("status", String(16), False),
        *_counters("tasks", "duration_ms_sum", "duration_ms_count"),
    ),
)
rollup_agent_durations_hourly, rollup_agent_durations_daily = _rollup_tables(
    "agent_durations",
    (("agent_name", String(128), False), ("duration_ms_values", LargeBinary, True)),
)
# Funnel units by the step they reached, human sessions only (``funnels stats``).
rollup_funnel_units_hourly, rollup_funnel_units_daily = _rollup_tables(
    "funnel_units",
    (
        ("funnel_id", BigInteger, True),  # never NULL; not a counter
        ("current_step", SmallInteger, False),
        *_counters("units"),
    ),
)
# Their times between steps (``step`` n: from step n to n+1; -1: from step 1 to the last),
# microseconds, sorted: exact medians and means.
rollup_funnel_times_hourly, rollup_funnel_times_daily = _rollup_tables(
    "funnel_times",
    (
        ("funnel_id", BigInteger, True),  # never NULL; not a counter
        ("step", SmallInteger, False),
        ("gap_us_values", LargeBinary, True),
    ),
)

rollup_state = Table(
    "rollup_state",
    metadata,
    Column("name", String(64), primary_key=True),
    # Buckets before this hour are rolled up (hourly tier; a day once all its hours are).
    Column("covered_until", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

rollup_dirty_hours = Table(
    "rollup_dirty_hours",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("hour", UTCDateTime, primary_key=True),
    # Raised by every new mark of the same hour, so a refresh clears only what it saw.
    Column("version", BigInteger, nullable=False, server_default=text("1")),
    Column("marked_at", UTCDateTime, nullable=False),
)
