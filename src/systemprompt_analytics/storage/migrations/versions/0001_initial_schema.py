"""Initial schema: every table of the data model, and the five seeded anomaly thresholds.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import systemprompt_analytics.storage.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_tasks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("agent_name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "started_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "completed_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("context_id", sa.String(length=64), nullable=True),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column(
            "updated_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint(
            "status IN ('submitted','working','input_required','completed','failed','canceled','rejected')",
            name=op.f("ck_agent_tasks_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_tasks")),
    )
    with op.batch_alter_table("agent_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_tasks_agent_started_at", ["agent_name", "started_at"], unique=False
        )
        batch_op.create_index("ix_agent_tasks_started_at", ["started_at"], unique=False)
        batch_op.create_index(
            "ix_agent_tasks_user_started_at", ["user_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_agent_tasks_failed_started_at",
            ["started_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('failed','rejected')"),
            sqlite_where=sa.text("status IN ('failed','rejected')"),
        )

    op.create_table(
        "ai_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column(
            "requested_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "completed_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("response_model", sa.String(length=128), nullable=True),
        sa.Column("input_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "cache_read_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "cache_write_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("reasoning_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("cost_microdollars", sa.BigInteger(), nullable=True),
        sa.Column("is_priced", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("price_source", sa.String(length=64), nullable=True),
        sa.Column("price_version", sa.String(length=64), nullable=True),
        sa.Column("is_cost_explicit", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("time_to_first_token_ms", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="success", nullable=False),
        sa.Column("is_streaming", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("cache_hit", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_synthetic", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("context_id", sa.String(length=64), nullable=True),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_requests")),
    )
    with op.batch_alter_table("ai_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ai_requests_model_requested_at", ["model", "requested_at"], unique=False
        )
        batch_op.create_index("ix_ai_requests_requested_at", ["requested_at"], unique=False)
        batch_op.create_index("ix_ai_requests_session_id", ["session_id"], unique=False)
        batch_op.create_index("ix_ai_requests_task_id", ["task_id"], unique=False)
        batch_op.create_index("ix_ai_requests_user_id", ["user_id", "requested_at"], unique=False)

    op.create_table(
        "analytics_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_analytics_meta")),
    )
    op.create_table(
        "anomaly_alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("metric_name", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), server_default="platform", nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("detector", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "started_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "resolved_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "notified_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint("level IN ('warning','critical')", name=op.f("ck_anomaly_alerts_level")),
        sa.CheckConstraint(
            "state IN ('pending','firing','resolved')", name=op.f("ck_anomaly_alerts_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anomaly_alerts")),
    )
    with op.batch_alter_table("anomaly_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_anomaly_alerts_metric_subject_state",
            ["metric_name", "subject", "state"],
            unique=False,
        )
        batch_op.create_index("ix_anomaly_alerts_started_at", ["started_at"], unique=False)

    op.create_table(
        "anomaly_thresholds",
        sa.Column("metric_name", sa.String(length=64), nullable=False),
        sa.Column("warning_threshold", sa.Float(), nullable=False),
        sa.Column("critical_threshold", sa.Float(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.CheckConstraint(
            "warning_threshold <= critical_threshold",
            name=op.f("ck_anomaly_thresholds_warning_le_critical"),
        ),
        sa.PrimaryKeyConstraint("metric_name", name=op.f("pk_anomaly_thresholds")),
    )
    op.create_table(
        "content_items",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column(
            "published_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "updated_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_items")),
        sa.UniqueConstraint("path", name=op.f("uq_content_items_path")),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "started_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "last_message_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("message_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_started_at", ["started_at"], unique=False)
        batch_op.create_index("ix_conversations_user_id", ["user_id"], unique=False)

    op.create_table(
        "fingerprint_reputation",
        sa.Column("fingerprint_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "first_seen_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("session_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("request_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("requests_last_hour", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "peak_requests_per_minute", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "sustained_high_velocity_minutes",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("is_flagged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("flag_reason", sa.String(length=64), nullable=True),
        sa.Column(
            "reputation_score", sa.SmallInteger(), server_default=sa.text("(50)"), nullable=False
        ),
        sa.Column("abuse_incidents", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "last_incident_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "associated_user_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("last_user_agent", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.CheckConstraint(
            "reputation_score BETWEEN 0 AND 100",
            name=op.f("ck_fingerprint_reputation_reputation_score"),
        ),
        sa.PrimaryKeyConstraint("fingerprint_hash", name=op.f("pk_fingerprint_reputation")),
    )
    with op.batch_alter_table("fingerprint_reputation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fingerprint_reputation_last_seen_at", ["last_seen_at"], unique=False
        )
        batch_op.create_index("ix_fingerprint_reputation_score", ["reputation_score"], unique=False)

    op.create_table(
        "funnels",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("mode", sa.String(length=16), server_default="ordered", nullable=False),
        sa.Column("unit", sa.String(length=16), server_default="session", nullable=False),
        sa.Column(
            "window_seconds", sa.Integer(), server_default=sa.text("(86400)"), nullable=False
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.CheckConstraint("mode IN ('ordered','strict')", name=op.f("ck_funnels_mode")),
        sa.CheckConstraint("unit IN ('session','visitor')", name=op.f("ck_funnels_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnels")),
        sa.UniqueConstraint("name", name=op.f("uq_funnels_name")),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("visitor_hash", sa.String(length=64), nullable=True),
        sa.Column("fingerprint_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "started_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "last_activity_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "ended_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), server_default="web", nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("device_type", sa.String(length=16), nullable=True),
        sa.Column("browser", sa.String(length=64), nullable=True),
        sa.Column("browser_version", sa.String(length=32), nullable=True),
        sa.Column("os", sa.String(length=64), nullable=True),
        sa.Column("os_version", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("region", sa.String(length=128), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("referrer_url", sa.Text(), nullable=True),
        sa.Column("referrer_source", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("landing_page", sa.Text(), nullable=True),
        sa.Column("entry_url", sa.Text(), nullable=True),
        sa.Column("utm_source", sa.String(length=255), nullable=True),
        sa.Column("utm_medium", sa.String(length=255), nullable=True),
        sa.Column("utm_campaign", sa.String(length=255), nullable=True),
        sa.Column("utm_content", sa.String(length=255), nullable=True),
        sa.Column("utm_term", sa.String(length=255), nullable=True),
        sa.Column("request_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_view_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("event_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("error_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("task_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("message_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("ai_request_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "cost_microdollars", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("is_bot", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_ai_crawler", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_scanner", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_behavioral_bot", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_datacenter", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hosting_provider", sa.String(length=64), nullable=True),
        sa.Column("bot_name", sa.String(length=128), nullable=True),
        sa.Column("bot_category", sa.String(length=32), nullable=True),
        sa.Column("bot_reason", sa.Text(), nullable=True),
        sa.Column(
            "behavioral_score", sa.SmallInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "behavioral_signals",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("throttle_level", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "converted_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "revoked_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint(
            "source IN ('web','api','cli','mcp','oauth','bridge','unknown')",
            name=op.f("ck_sessions_source"),
        ),
        sa.CheckConstraint(
            "throttle_level BETWEEN 0 AND 3", name=op.f("ck_sessions_throttle_level")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        postgresql_with={"fillfactor": 80},
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_ended_at", ["ended_at"], unique=False)
        batch_op.create_index(
            "ix_sessions_fingerprint_hash", ["fingerprint_hash", "started_at"], unique=False
        )
        batch_op.create_index("ix_sessions_started_at", ["started_at"], unique=False)
        batch_op.create_index("ix_sessions_user_id", ["user_id"], unique=False)
        batch_op.create_index("ix_sessions_visitor_hash", ["visitor_hash"], unique=False)

    op.create_table(
        "tool_executions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column(
            "started_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "completed_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("tool_name", sa.String(length=128), nullable=False),
        sa.Column("server_name", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("context_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('success','failed','timeout')", name=op.f("ck_tool_executions_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_executions")),
    )
    with op.batch_alter_table("tool_executions", schema=None) as batch_op:
        batch_op.create_index("ix_tool_executions_started_at", ["started_at"], unique=False)
        batch_op.create_index("ix_tool_executions_task_id", ["task_id"], unique=False)
        batch_op.create_index(
            "ix_tool_executions_tool_started_at", ["tool_name", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_tool_executions_unsuccessful_started_at",
            ["started_at"],
            unique=False,
            postgresql_where=sa.text("status <> 'success'"),
            sqlite_where=sa.text("status <> 'success'"),
        )

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("is_anonymous", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column(
            "traits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "registered_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "last_seen_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_users_last_seen_at", ["last_seen_at"], unique=False)

    op.create_table(
        "client_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_event_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column(
            "occurred_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "received_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("target_url", sa.Text(), nullable=True),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("schema_version", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("referrer", sa.Text(), nullable=True),
        sa.Column("scroll_depth", sa.SmallInteger(), nullable=True),
        sa.CheckConstraint(
            "scroll_depth BETWEEN 0 AND 100", name=op.f("ck_client_events_scroll_depth")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_events")),
        sa.UniqueConstraint("client_event_id", name=op.f("uq_client_events_client_event_id")),
    )
    with op.batch_alter_table("client_events", schema=None) as batch_op:
        batch_op.create_index("ix_client_events_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index(
            "ix_client_events_session_id", ["session_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_client_events_type_occurred_at", ["event_type", "occurred_at"], unique=False
        )

    op.create_table(
        "conversation_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("token_count", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "role IN ('user','assistant','system','tool')",
            name=op.f("ck_conversation_messages_role"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_conversation_messages_message_id")),
    )
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_messages_conversation", ["conversation_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_conversation_messages_created_at", ["created_at"], unique=False)

    op.create_table(
        "engagement_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("client_event_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column(
            "occurred_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("time_on_page_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("visible_time_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("engaged_time_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "max_scroll_depth", sa.SmallInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("click_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rage_click_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("dead_click_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("time_to_first_interaction_ms", sa.BigInteger(), nullable=True),
        sa.Column("reading_pattern", sa.String(length=16), nullable=True),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "max_scroll_depth BETWEEN 0 AND 100", name=op.f("ck_engagement_events_max_scroll_depth")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_events")),
        sa.UniqueConstraint("client_event_id", name=op.f("uq_engagement_events_client_event_id")),
    )
    with op.batch_alter_table("engagement_events", schema=None) as batch_op:
        batch_op.create_index("ix_engagement_events_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index(
            "ix_engagement_events_path_occurred_at", ["path", "occurred_at"], unique=False
        )
        batch_op.create_index("ix_engagement_events_session_id", ["session_id"], unique=False)

    op.create_table(
        "funnel_progress",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("funnel_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_key", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("current_step", sa.SmallInteger(), nullable=False),
        sa.Column(
            "step_timestamps",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "started_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "completed_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "attempt_timestamps",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["funnel_id"],
            ["funnels.id"],
            name=op.f("fk_funnel_progress_funnel_id_funnels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnel_progress")),
        sa.UniqueConstraint(
            "funnel_id", "unit_key", name=op.f("uq_funnel_progress_funnel_id_unit_key")
        ),
    )
    with op.batch_alter_table("funnel_progress", schema=None) as batch_op:
        batch_op.create_index(
            "ix_funnel_progress_funnel_started", ["funnel_id", "started_at"], unique=False
        )

    op.create_table(
        "funnel_steps",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("funnel_id", sa.BigInteger(), nullable=False),
        sa.Column("step_order", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("matcher_type", sa.String(length=16), nullable=False),
        sa.Column("matcher_value", sa.Text(), nullable=False),
        sa.Column(
            "event_filters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "matcher_type IN ('url_exact','url_prefix','url_regex','event')",
            name=op.f("ck_funnel_steps_matcher_type"),
        ),
        sa.ForeignKeyConstraint(
            ["funnel_id"],
            ["funnels.id"],
            name=op.f("fk_funnel_steps_funnel_id_funnels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnel_steps")),
        sa.UniqueConstraint(
            "funnel_id", "step_order", name=op.f("uq_funnel_steps_funnel_id_step_order")
        ),
    )
    op.create_table(
        "request_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "occurred_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("response_bytes", sa.BigInteger(), nullable=True),
        sa.Column("is_bot", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_ai_crawler", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_scanner", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_events")),
    )
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.create_index("ix_request_events_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index(
            "ix_request_events_session_id", ["session_id", "occurred_at"], unique=False
        )

    anomaly_thresholds = sa.table(
        "anomaly_thresholds",
        sa.column("metric_name", sa.String),
        sa.column("warning_threshold", sa.Float),
        sa.column("critical_threshold", sa.Float),
        sa.column("description", sa.Text),
        sa.column("updated_at", systemprompt_analytics.storage.types.UTCDateTime(timezone=True)),
    )
    seeded_at = datetime(2026, 1, 1, tzinfo=UTC)
    op.bulk_insert(
        anomaly_thresholds,
        [
            {**row, "updated_at": seeded_at}
            for row in (
                {
                    "metric_name": "requests_per_minute",
                    "warning_threshold": 15.0,
                    "critical_threshold": 30.0,
                    "description": "Requests per minute from one fingerprint",
                },
                {
                    "metric_name": "session_count_per_fingerprint",
                    "warning_threshold": 5.0,
                    "critical_threshold": 10.0,
                    "description": "Sessions opened by one fingerprint within the window",
                },
                {
                    "metric_name": "avg_response_time_deviation",
                    "warning_threshold": 2.0,
                    "critical_threshold": 5.0,
                    "description": "Average response time, in standard deviations from its baseline",
                },
                {
                    "metric_name": "error_rate",
                    "warning_threshold": 0.1,
                    "critical_threshold": 0.25,
                    "description": "Share of requests answered with a 5xx or 4xx status",
                },
                {
                    "metric_name": "unique_ips_per_fingerprint",
                    "warning_threshold": 3.0,
                    "critical_threshold": 10.0,
                    "description": "Distinct IP addresses seen for one fingerprint within the window",
                },
            )
        ],
    )
    # Rollups (storage/rollups/).
    op.create_table(
        "rollup_ai_latencies_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("is_synthetic", sa.Boolean(), nullable=False),
        sa.Column("latency_ms_values", sa.LargeBinary(), nullable=True),
        sa.Column("time_to_first_token_ms_values", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_ai_latencies_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_ai_latencies_daily_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_ai_latencies_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("is_synthetic", sa.Boolean(), nullable=False),
        sa.Column("latency_ms_values", sa.LargeBinary(), nullable=True),
        sa.Column("time_to_first_token_ms_values", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_ai_latencies_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_ai_latencies_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_ai_requests_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), nullable=False),
        sa.Column("requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("failed", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("streaming", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("cache_hits", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "cache_read_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "cache_write_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("reasoning_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("priced_requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "unpriced_requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "unpriced_input_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "unpriced_output_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "unpriced_cache_read_tokens",
            sa.BigInteger(),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "unpriced_cache_write_tokens",
            sa.BigInteger(),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "unpriced_reasoning_tokens",
            sa.BigInteger(),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "unpriced_total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("cost_microdollars", sa.BigInteger(), nullable=True),
        sa.Column("latency_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("latency_ms_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "unpriced_first_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "unpriced_last_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
    )
    with op.batch_alter_table("rollup_ai_requests_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_ai_requests_daily_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_ai_requests_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), nullable=False),
        sa.Column("requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("failed", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("streaming", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("cache_hits", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "cache_read_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "cache_write_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("reasoning_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("priced_requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "unpriced_requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "unpriced_input_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "unpriced_output_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "unpriced_cache_read_tokens",
            sa.BigInteger(),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "unpriced_cache_write_tokens",
            sa.BigInteger(),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "unpriced_reasoning_tokens",
            sa.BigInteger(),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "unpriced_total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("cost_microdollars", sa.BigInteger(), nullable=True),
        sa.Column("latency_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("latency_ms_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "unpriced_first_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "unpriced_last_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
    )
    with op.batch_alter_table("rollup_ai_requests_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_ai_requests_hourly_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_ai_users_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), nullable=False),
        sa.Column("requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("priced_requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "unpriced_requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "unpriced_total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("cost_microdollars", sa.BigInteger(), nullable=True),
    )
    with op.batch_alter_table("rollup_ai_users_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_ai_users_daily_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_ai_users_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), nullable=False),
        sa.Column("requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("priced_requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "unpriced_requests", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "unpriced_total_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("cost_microdollars", sa.BigInteger(), nullable=True),
    )
    with op.batch_alter_table("rollup_ai_users_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_ai_users_hourly_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_content_engagement_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("engaged_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "time_on_page_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("scroll_depth_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("rage_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("dead_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "views_with_rage_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "views_with_dead_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("pattern_bounce", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_skim", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_scan", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_read", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_engaged", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    with op.batch_alter_table("rollup_content_engagement_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_content_engagement_daily_bucket_at", ["bucket_at"], unique=False
        )
        batch_op.create_index(
            "ix_rollup_content_engagement_daily_engaged_views",
            ["engaged_views", "bucket_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_rollup_content_engagement_daily_path", ["path", "bucket_at"], unique=False
        )

    op.create_table(
        "rollup_content_engagement_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("engaged_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "time_on_page_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("scroll_depth_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("rage_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("dead_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "views_with_rage_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "views_with_dead_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("pattern_bounce", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_skim", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_scan", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_read", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_engaged", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    with op.batch_alter_table("rollup_content_engagement_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_content_engagement_hourly_bucket_at", ["bucket_at"], unique=False
        )
        batch_op.create_index(
            "ix_rollup_content_engagement_hourly_engaged_views",
            ["engaged_views", "bucket_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_rollup_content_engagement_hourly_path", ["path", "bucket_at"], unique=False
        )

    op.create_table(
        "rollup_content_engagement_totals_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("engaged_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "time_on_page_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("scroll_depth_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("rage_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("dead_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "views_with_rage_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "views_with_dead_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("pattern_bounce", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_skim", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_scan", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_read", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_engaged", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_content_engagement_totals_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_content_engagement_totals_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_content_engagement_totals_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("engaged_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "time_on_page_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("scroll_depth_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("rage_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("dead_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "views_with_rage_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "views_with_dead_clicks", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("pattern_bounce", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_skim", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_scan", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_read", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("pattern_engaged", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_content_engagement_totals_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_content_engagement_totals_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_content_totals_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
        sa.Column("page_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_content_totals_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_content_totals_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_content_totals_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
        sa.Column("page_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_content_totals_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_content_totals_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_content_views_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_content_views_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_content_views_daily_bucket_at", ["bucket_at"], unique=False
        )
        batch_op.create_index(
            "ix_rollup_content_views_daily_page_views", ["page_views", "bucket_at"], unique=False
        )
        batch_op.create_index(
            "ix_rollup_content_views_daily_path", ["path", "bucket_at"], unique=False
        )

    op.create_table(
        "rollup_content_views_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_content_views_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_content_views_hourly_bucket_at", ["bucket_at"], unique=False
        )
        batch_op.create_index(
            "ix_rollup_content_views_hourly_page_views", ["page_views", "bucket_at"], unique=False
        )
        batch_op.create_index(
            "ix_rollup_content_views_hourly_path", ["path", "bucket_at"], unique=False
        )

    op.create_table(
        "rollup_navigation_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("from_path", sa.Text(), nullable=True),
        sa.Column("to_path", sa.Text(), nullable=False),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("session_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_navigation_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_navigation_daily_bucket_at", ["bucket_at"], unique=False)
        batch_op.create_index(
            "ix_rollup_navigation_daily_page_views",
            ["page_views", "bucket_at"],
            unique=False,
            postgresql_include=["is_human", "from_path", "to_path"],
        )
        batch_op.create_index(
            "ix_rollup_navigation_daily_paths",
            ["from_path", "to_path", "bucket_at"],
            unique=False,
            postgresql_include=["is_human", "page_views"],
        )

    op.create_table(
        "rollup_navigation_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("from_path", sa.Text(), nullable=True),
        sa.Column("to_path", sa.Text(), nullable=False),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("session_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_navigation_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_navigation_hourly_bucket_at", ["bucket_at"], unique=False)
        batch_op.create_index(
            "ix_rollup_navigation_hourly_page_views",
            ["page_views", "bucket_at"],
            unique=False,
            postgresql_include=["is_human", "from_path", "to_path"],
        )
        batch_op.create_index(
            "ix_rollup_navigation_hourly_paths",
            ["from_path", "to_path", "bucket_at"],
            unique=False,
            postgresql_include=["is_human", "page_views"],
        )

    op.create_table(
        "rollup_navigation_totals_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("transitions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("session_keys", sa.LargeBinary(), nullable=True),
        sa.Column("pair_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_navigation_totals_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_navigation_totals_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_navigation_totals_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("transitions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("session_keys", sa.LargeBinary(), nullable=True),
        sa.Column("pair_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_navigation_totals_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_navigation_totals_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_dirty_hours",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "hour", systemprompt_analytics.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "marked_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", "hour", name=op.f("pk_rollup_dirty_hours")),
    )
    op.create_table(
        "rollup_page_views_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    with op.batch_alter_table("rollup_page_views_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_page_views_daily_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_page_views_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    with op.batch_alter_table("rollup_page_views_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_page_views_hourly_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_sessions_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("bot_category", sa.String(length=32), nullable=True),
        sa.Column("bot_reason", sa.Text(), nullable=True),
        sa.Column("is_ai_crawler", sa.Boolean(), nullable=False),
        sa.Column("is_throttled", sa.Boolean(), nullable=False),
        sa.Column("is_converted", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("request_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("rollup_sessions_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_sessions_daily_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_sessions_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("bot_category", sa.String(length=32), nullable=True),
        sa.Column("bot_reason", sa.Text(), nullable=True),
        sa.Column("is_ai_crawler", sa.Boolean(), nullable=False),
        sa.Column("is_throttled", sa.Boolean(), nullable=False),
        sa.Column("is_converted", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("request_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("rollup_sessions_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_sessions_hourly_bucket_at", ["bucket_at"], unique=False)

    # Rollups of the platform reports (users, conversations, agents).
    op.create_table(
        "rollup_session_people_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("hours_active", sa.Integer(), nullable=False),
        sa.Column("user_keys", sa.LargeBinary(), nullable=True),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_session_people_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_session_people_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_session_people_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("hours_active", sa.Integer(), nullable=False),
        sa.Column("user_keys", sa.LargeBinary(), nullable=True),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_session_people_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_session_people_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_conversations_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("long_id", sa.String(length=64), nullable=True),
        sa.Column("conversations", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("messages", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("user_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_conversations_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_conversations_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_conversations_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("long_id", sa.String(length=64), nullable=True),
        sa.Column("conversations", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("messages", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("user_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_conversations_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_conversations_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_conversation_messages_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("messages", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    with op.batch_alter_table("rollup_conversation_messages_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_conversation_messages_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_conversation_messages_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("messages", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    with op.batch_alter_table("rollup_conversation_messages_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_conversation_messages_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_agent_tasks_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("agent_name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tasks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "duration_ms_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
    )
    with op.batch_alter_table("rollup_agent_tasks_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_agent_tasks_daily_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_agent_tasks_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("agent_name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tasks", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "duration_ms_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
    )
    with op.batch_alter_table("rollup_agent_tasks_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_agent_tasks_hourly_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_agent_durations_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("agent_name", sa.String(length=128), nullable=False),
        sa.Column("duration_ms_values", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_agent_durations_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_agent_durations_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_agent_durations_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("agent_name", sa.String(length=128), nullable=False),
        sa.Column("duration_ms_values", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_agent_durations_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_agent_durations_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_funnel_units_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("funnel_id", sa.BigInteger(), nullable=True),
        sa.Column("current_step", sa.SmallInteger(), nullable=False),
        sa.Column("units", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    with op.batch_alter_table("rollup_funnel_units_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_funnel_units_daily_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_funnel_units_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("funnel_id", sa.BigInteger(), nullable=True),
        sa.Column("current_step", sa.SmallInteger(), nullable=False),
        sa.Column("units", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    with op.batch_alter_table("rollup_funnel_units_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_funnel_units_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_funnel_times_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("funnel_id", sa.BigInteger(), nullable=True),
        sa.Column("step", sa.SmallInteger(), nullable=False),
        sa.Column("gap_us_values", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_funnel_times_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_funnel_times_daily_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_funnel_times_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("funnel_id", sa.BigInteger(), nullable=True),
        sa.Column("step", sa.SmallInteger(), nullable=False),
        sa.Column("gap_us_values", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_funnel_times_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_funnel_times_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "covered_until",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rollup_state")),
    )
    op.create_table(
        "rollup_tool_durations_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("tool_name", sa.String(length=128), nullable=False),
        sa.Column("server_name", sa.String(length=128), nullable=True),
        sa.Column("duration_ms_values", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_tool_durations_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_tool_durations_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_tool_durations_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("tool_name", sa.String(length=128), nullable=False),
        sa.Column("server_name", sa.String(length=128), nullable=True),
        sa.Column("duration_ms_values", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_tool_durations_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_tool_durations_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_tool_executions_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("tool_name", sa.String(length=128), nullable=False),
        sa.Column("server_name", sa.String(length=128), nullable=True),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("executions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "duration_ms_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
    )
    with op.batch_alter_table("rollup_tool_executions_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_tool_executions_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_tool_executions_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("tool_name", sa.String(length=128), nullable=False),
        sa.Column("server_name", sa.String(length=128), nullable=True),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("executions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_ms_sum", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "duration_ms_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
    )
    with op.batch_alter_table("rollup_tool_executions_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_tool_executions_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_session_visitors_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_session_visitors_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_session_visitors_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_session_visitors_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_session_visitors_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_session_visitors_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_traffic_devices_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("device_type", sa.String(length=16), nullable=True),
        sa.Column("browser", sa.String(length=64), nullable=True),
        sa.Column("os", sa.String(length=64), nullable=True),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "page_view_sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("bounces", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_traffic_devices_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_traffic_devices_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_traffic_devices_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("device_type", sa.String(length=16), nullable=True),
        sa.Column("browser", sa.String(length=64), nullable=True),
        sa.Column("os", sa.String(length=64), nullable=True),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "page_view_sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("bounces", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_traffic_devices_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_traffic_devices_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_traffic_geo_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("region", sa.String(length=128), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "page_view_sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("bounces", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_traffic_geo_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_traffic_geo_daily_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_traffic_geo_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("region", sa.String(length=128), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "page_view_sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("bounces", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_traffic_geo_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_traffic_geo_hourly_bucket_at", ["bucket_at"], unique=False)

    op.create_table(
        "rollup_traffic_landing_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "page_view_sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("bounces", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_traffic_landing_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_traffic_landing_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_traffic_landing_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "page_view_sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("bounces", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_traffic_landing_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_traffic_landing_hourly_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_traffic_sources_daily",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "page_view_sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("bounces", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_traffic_sources_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_traffic_sources_daily_bucket_at", ["bucket_at"], unique=False
        )

    op.create_table(
        "rollup_traffic_sources_hourly",
        sa.Column(
            "bucket_at",
            systemprompt_analytics.storage.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("is_human", sa.Boolean(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_views", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "page_view_sessions", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("bounces", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("duration_seconds_sum", sa.Float(), nullable=False),
        sa.Column("visitor_keys", sa.LargeBinary(), nullable=True),
    )
    with op.batch_alter_table("rollup_traffic_sources_hourly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_traffic_sources_hourly_bucket_at", ["bucket_at"], unique=False
        )


def downgrade() -> None:
    # Rollups (storage/rollups/).
    with op.batch_alter_table("rollup_session_visitors_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_session_visitors_hourly_bucket_at")

    op.drop_table("rollup_session_visitors_hourly")
    with op.batch_alter_table("rollup_session_visitors_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_session_visitors_daily_bucket_at")

    op.drop_table("rollup_session_visitors_daily")
    with op.batch_alter_table("rollup_traffic_sources_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_traffic_sources_hourly_bucket_at")

    op.drop_table("rollup_traffic_sources_hourly")
    with op.batch_alter_table("rollup_traffic_sources_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_traffic_sources_daily_bucket_at")

    op.drop_table("rollup_traffic_sources_daily")
    with op.batch_alter_table("rollup_traffic_landing_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_traffic_landing_hourly_bucket_at")

    op.drop_table("rollup_traffic_landing_hourly")
    with op.batch_alter_table("rollup_traffic_landing_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_traffic_landing_daily_bucket_at")

    op.drop_table("rollup_traffic_landing_daily")
    with op.batch_alter_table("rollup_traffic_geo_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_traffic_geo_hourly_bucket_at")

    op.drop_table("rollup_traffic_geo_hourly")
    with op.batch_alter_table("rollup_traffic_geo_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_traffic_geo_daily_bucket_at")

    op.drop_table("rollup_traffic_geo_daily")
    with op.batch_alter_table("rollup_traffic_devices_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_traffic_devices_hourly_bucket_at")

    op.drop_table("rollup_traffic_devices_hourly")
    with op.batch_alter_table("rollup_traffic_devices_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_traffic_devices_daily_bucket_at")

    op.drop_table("rollup_traffic_devices_daily")
    with op.batch_alter_table("rollup_tool_executions_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_tool_executions_hourly_bucket_at")

    op.drop_table("rollup_tool_executions_hourly")
    with op.batch_alter_table("rollup_tool_executions_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_tool_executions_daily_bucket_at")

    op.drop_table("rollup_tool_executions_daily")
    with op.batch_alter_table("rollup_tool_durations_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_tool_durations_hourly_bucket_at")

    op.drop_table("rollup_tool_durations_hourly")
    with op.batch_alter_table("rollup_tool_durations_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_tool_durations_daily_bucket_at")

    op.drop_table("rollup_tool_durations_daily")
    op.drop_table("rollup_state")
    with op.batch_alter_table("rollup_funnel_times_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_funnel_times_daily_bucket_at")

    op.drop_table("rollup_funnel_times_daily")
    with op.batch_alter_table("rollup_funnel_times_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_funnel_times_hourly_bucket_at")

    op.drop_table("rollup_funnel_times_hourly")
    with op.batch_alter_table("rollup_funnel_units_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_funnel_units_daily_bucket_at")

    op.drop_table("rollup_funnel_units_daily")
    with op.batch_alter_table("rollup_funnel_units_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_funnel_units_hourly_bucket_at")

    op.drop_table("rollup_funnel_units_hourly")
    with op.batch_alter_table("rollup_session_people_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_session_people_daily_bucket_at")

    op.drop_table("rollup_session_people_daily")
    with op.batch_alter_table("rollup_session_people_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_session_people_hourly_bucket_at")

    op.drop_table("rollup_session_people_hourly")
    with op.batch_alter_table("rollup_conversations_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_conversations_daily_bucket_at")

    op.drop_table("rollup_conversations_daily")
    with op.batch_alter_table("rollup_conversations_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_conversations_hourly_bucket_at")

    op.drop_table("rollup_conversations_hourly")
    with op.batch_alter_table("rollup_conversation_messages_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_conversation_messages_daily_bucket_at")

    op.drop_table("rollup_conversation_messages_daily")
    with op.batch_alter_table("rollup_conversation_messages_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_conversation_messages_hourly_bucket_at")

    op.drop_table("rollup_conversation_messages_hourly")
    with op.batch_alter_table("rollup_agent_tasks_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_agent_tasks_daily_bucket_at")

    op.drop_table("rollup_agent_tasks_daily")
    with op.batch_alter_table("rollup_agent_tasks_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_agent_tasks_hourly_bucket_at")

    op.drop_table("rollup_agent_tasks_hourly")
    with op.batch_alter_table("rollup_agent_durations_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_agent_durations_daily_bucket_at")

    op.drop_table("rollup_agent_durations_daily")
    with op.batch_alter_table("rollup_agent_durations_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_agent_durations_hourly_bucket_at")

    op.drop_table("rollup_agent_durations_hourly")
    with op.batch_alter_table("rollup_sessions_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_sessions_hourly_bucket_at")

    op.drop_table("rollup_sessions_hourly")
    with op.batch_alter_table("rollup_sessions_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_sessions_daily_bucket_at")

    op.drop_table("rollup_sessions_daily")
    with op.batch_alter_table("rollup_page_views_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_page_views_hourly_bucket_at")

    op.drop_table("rollup_page_views_hourly")
    with op.batch_alter_table("rollup_page_views_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_page_views_daily_bucket_at")

    op.drop_table("rollup_page_views_daily")
    with op.batch_alter_table("rollup_navigation_totals_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_navigation_totals_hourly_bucket_at")

    op.drop_table("rollup_navigation_totals_hourly")
    with op.batch_alter_table("rollup_navigation_totals_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_navigation_totals_daily_bucket_at")

    op.drop_table("rollup_navigation_totals_daily")
    with op.batch_alter_table("rollup_navigation_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_navigation_hourly_bucket_at")
        batch_op.drop_index("ix_rollup_navigation_hourly_page_views")
        batch_op.drop_index("ix_rollup_navigation_hourly_paths")

    op.drop_table("rollup_navigation_hourly")
    with op.batch_alter_table("rollup_navigation_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_navigation_daily_bucket_at")
        batch_op.drop_index("ix_rollup_navigation_daily_page_views")
        batch_op.drop_index("ix_rollup_navigation_daily_paths")

    op.drop_table("rollup_navigation_daily")
    with op.batch_alter_table("rollup_content_views_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_content_views_hourly_bucket_at")
        batch_op.drop_index("ix_rollup_content_views_hourly_page_views")
        batch_op.drop_index("ix_rollup_content_views_hourly_path")

    op.drop_table("rollup_content_views_hourly")
    with op.batch_alter_table("rollup_content_views_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_content_views_daily_bucket_at")
        batch_op.drop_index("ix_rollup_content_views_daily_page_views")
        batch_op.drop_index("ix_rollup_content_views_daily_path")

    op.drop_table("rollup_content_views_daily")
    with op.batch_alter_table("rollup_content_totals_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_content_totals_hourly_bucket_at")

    op.drop_table("rollup_content_totals_hourly")
    with op.batch_alter_table("rollup_content_totals_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_content_totals_daily_bucket_at")

    op.drop_table("rollup_content_totals_daily")
    with op.batch_alter_table("rollup_content_engagement_totals_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_content_engagement_totals_hourly_bucket_at")

    op.drop_table("rollup_content_engagement_totals_hourly")
    with op.batch_alter_table("rollup_content_engagement_totals_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_content_engagement_totals_daily_bucket_at")

    op.drop_table("rollup_content_engagement_totals_daily")
    with op.batch_alter_table("rollup_content_engagement_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_content_engagement_hourly_bucket_at")
        batch_op.drop_index("ix_rollup_content_engagement_hourly_engaged_views")
        batch_op.drop_index("ix_rollup_content_engagement_hourly_path")

    op.drop_table("rollup_content_engagement_hourly")
    with op.batch_alter_table("rollup_content_engagement_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_content_engagement_daily_bucket_at")
        batch_op.drop_index("ix_rollup_content_engagement_daily_engaged_views")
        batch_op.drop_index("ix_rollup_content_engagement_daily_path")

    op.drop_table("rollup_content_engagement_daily")
    op.drop_table("rollup_dirty_hours")
    with op.batch_alter_table("rollup_ai_users_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_ai_users_hourly_bucket_at")

    op.drop_table("rollup_ai_users_hourly")
    with op.batch_alter_table("rollup_ai_users_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_ai_users_daily_bucket_at")

    op.drop_table("rollup_ai_users_daily")
    with op.batch_alter_table("rollup_ai_requests_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_ai_requests_hourly_bucket_at")

    op.drop_table("rollup_ai_requests_hourly")
    with op.batch_alter_table("rollup_ai_requests_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_ai_requests_daily_bucket_at")

    op.drop_table("rollup_ai_requests_daily")
    with op.batch_alter_table("rollup_ai_latencies_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_ai_latencies_hourly_bucket_at")

    op.drop_table("rollup_ai_latencies_hourly")
    with op.batch_alter_table("rollup_ai_latencies_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_ai_latencies_daily_bucket_at")

    op.drop_table("rollup_ai_latencies_daily")

    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.drop_index("ix_request_events_session_id")
        batch_op.drop_index("ix_request_events_occurred_at")

    op.drop_table("request_events")
    op.drop_table("funnel_steps")
    with op.batch_alter_table("funnel_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_funnel_progress_funnel_started")

    op.drop_table("funnel_progress")
    with op.batch_alter_table("engagement_events", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_events_session_id")
        batch_op.drop_index("ix_engagement_events_path_occurred_at")
        batch_op.drop_index("ix_engagement_events_occurred_at")

    op.drop_table("engagement_events")
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_messages_created_at")
        batch_op.drop_index("ix_conversation_messages_conversation")

    op.drop_table("conversation_messages")
    with op.batch_alter_table("client_events", schema=None) as batch_op:
        batch_op.drop_index("ix_client_events_type_occurred_at")
        batch_op.drop_index("ix_client_events_session_id")
        batch_op.drop_index("ix_client_events_occurred_at")

    op.drop_table("client_events")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_last_seen_at")
        batch_op.drop_index("ix_users_created_at")

    op.drop_table("users")
    with op.batch_alter_table("tool_executions", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_tool_executions_unsuccessful_started_at",
            postgresql_where=sa.text("status <> 'success'"),
            sqlite_where=sa.text("status <> 'success'"),
        )
        batch_op.drop_index("ix_tool_executions_tool_started_at")
        batch_op.drop_index("ix_tool_executions_task_id")
        batch_op.drop_index("ix_tool_executions_started_at")

    op.drop_table("tool_executions")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_visitor_hash")
        batch_op.drop_index("ix_sessions_user_id")
        batch_op.drop_index("ix_sessions_started_at")
        batch_op.drop_index("ix_sessions_fingerprint_hash")
        batch_op.drop_index("ix_sessions_ended_at")

    op.drop_table("sessions")
    op.drop_table("funnels")
    with op.batch_alter_table("fingerprint_reputation", schema=None) as batch_op:
        batch_op.drop_index("ix_fingerprint_reputation_score")
        batch_op.drop_index("ix_fingerprint_reputation_last_seen_at")

    op.drop_table("fingerprint_reputation")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_user_id")
        batch_op.drop_index("ix_conversations_started_at")

    op.drop_table("conversations")
    op.drop_table("content_items")
    op.drop_table("anomaly_thresholds")
    with op.batch_alter_table("anomaly_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_anomaly_alerts_started_at")
        batch_op.drop_index("ix_anomaly_alerts_metric_subject_state")

    op.drop_table("anomaly_alerts")
    op.drop_table("analytics_meta")
    with op.batch_alter_table("ai_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_ai_requests_user_id")
        batch_op.drop_index("ix_ai_requests_task_id")
        batch_op.drop_index("ix_ai_requests_session_id")
        batch_op.drop_index("ix_ai_requests_requested_at")
        batch_op.drop_index("ix_ai_requests_model_requested_at")

    op.drop_table("ai_requests")
    with op.batch_alter_table("agent_tasks", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_agent_tasks_failed_started_at",
            postgresql_where=sa.text("status IN ('failed','rejected')"),
            sqlite_where=sa.text("status IN ('failed','rejected')"),
        )
        batch_op.drop_index("ix_agent_tasks_user_started_at")
        batch_op.drop_index("ix_agent_tasks_started_at")
        batch_op.drop_index("ix_agent_tasks_agent_started_at")

    op.drop_table("agent_tasks")
