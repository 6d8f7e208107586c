"""Building the ThrottleService from Settings, and feeding it what the detectors found."""

from __future__ import annotations

from collections.abc import Sequence

from systemprompt_analytics.config import Settings
from systemprompt_analytics.detection.throttle import Observation, ThrottlePolicy
from systemprompt_analytics.storage.repositories.behavioral import ScoringInput, SessionJudgement
from systemprompt_analytics.throttle.decision import AllowList, ThrottleConfig, throttle_key
from systemprompt_analytics.throttle.service import ThrottleService


def throttle_config(settings: Settings) -> ThrottleConfig:
    exact = frozenset(path for path in settings.throttle_allow_paths if not path.endswith("*"))
    prefixes = tuple(path[:-1] for path in settings.throttle_allow_paths if path.endswith("*"))
    return ThrottleConfig(
        base_rate=settings.throttle_rate,
        policy=ThrottlePolicy(
            cooldown_seconds=float(settings.throttle_cooldown_seconds),
            block_base_seconds=float(settings.throttle_block_seconds),
            block_max_seconds=float(settings.throttle_block_max_seconds),
        ),
        shadow=settings.throttle_shadow,
        fail_open=settings.throttle_fail_open,
        redis_url=settings.redis_url,
        allow_list=AllowList(
            paths=exact,
            path_prefixes=prefixes,
            client_categories=frozenset(settings.throttle_allow_categories),
        ),
    )


def throttle_service(settings: Settings) -> ThrottleService | None:
    """The service the middleware enforces with, or None when throttling is off."""
    if not settings.throttle_enabled:
        return None
    return ThrottleService.from_config(throttle_config(settings))


def observe_verdicts(
    service: ThrottleService, verdicts: Sequence[tuple[ScoringInput, SessionJudgement]]
) -> None:
    """Escalation triggers from stored data: each scored session's behavioural score, its
    busiest minute and its error rate, observed for the session and its fingerprint."""
    for item, judgement in verdicts:
        errors = sum(1 for status in item.statuses if status >= 400)
        observation = Observation(
            behavioural_score=float(judgement.behavioral.score),
            requests_last_minute=item.peak_per_minute,
            requests=len(item.statuses),
            errors=errors,
        )
        service.observe(throttle_key("session", item.session_id), observation)
        if item.fingerprint_hash:
            service.observe(throttle_key("fingerprint", item.fingerprint_hash), observation)
