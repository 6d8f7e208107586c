"""Progressive throttling: level-adjusted rate limits per session, fingerprint and IP.

The state machine is pure (:mod:`systemprompt_analytics.detection.throttle`); this package is the
shell around it: level stores (memory, Redis), enforcement with ``limits`` and the service.
"""

from systemprompt_analytics.detection.throttle import (
    Observation,
    ThrottleLevel,
    ThrottlePolicy,
    ThrottleState,
    ThrottleTransition,
    adjusted_limit,
)
from systemprompt_analytics.throttle.decision import (
    AllowList,
    ThrottleConfig,
    ThrottleDecision,
    ThrottleKeys,
    ThrottleStats,
    throttle_key,
)
from systemprompt_analytics.throttle.limiter import ThrottleLimiter
from systemprompt_analytics.throttle.service import ThrottleService

__all__ = [
    "AllowList",
    "Observation",
    "ThrottleConfig",
    "ThrottleDecision",
    "ThrottleKeys",
    "ThrottleLevel",
    "ThrottleLimiter",
    "ThrottlePolicy",
    "ThrottleService",
    "ThrottleState",
    "ThrottleStats",
    "ThrottleTransition",
    "adjusted_limit",
    "throttle_key",
]
