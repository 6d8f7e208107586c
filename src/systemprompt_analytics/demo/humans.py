"""Human web sessions: anonymous visitors browsing the site, members using the app (chat,
agents), anonymous app users trying the chat, and visitors who sign up.

Each visit is walked page by page: a page request, and with JavaScript on a ``page_view``
client event and an engagement event when the page is left; link clicks, copied code and the
``signup`` conversion happen along the way. App pages hand over to :class:`Platform`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from systemprompt_analytics.demo.audience import Audience, Visitor
from systemprompt_analytics.demo.catalog import (
    HACKER_NEWS,
    REFERRERS,
    UTM_CONTENT,
    UTM_TERMS,
    Referrer,
)
from systemprompt_analytics.demo.platform import Platform, pause_ms
from systemprompt_analytics.demo.platform_catalog import (
    AGENT_WEIGHTS,
    CHAT_MODELS,
    FREE_CHAT_MODELS,
)
from systemprompt_analytics.demo.records import SessionBuilder, session_attrs
from systemprompt_analytics.demo.rng import DemoRandom, Weighted
from systemprompt_analytics.demo.site import (
    BROKEN_PATHS,
    LAUNCH_POST,
    NEXT_SECTION,
    OUTBOUND_LINKS,
    PAGES,
    PAGES_BY_PATH,
    SITE_ORIGIN,
)
from systemprompt_analytics.demo.timeline import MS_PER_MINUTE, Window
from systemprompt_analytics.demo.users import User, UserBase

JS_SHARE = 0.85  # visitors whose browser runs the tracker (the rest block it)
BOUNCE_SHARE = 0.52  # of anonymous browsing visits: one page view (~40% of all humans)
CONVERSION_SHARE = 0.04  # of anonymous browsing visits with JavaScript: sign up
RETURNING_SHARE = 0.28
MAX_DWELL_MS = 20 * MS_PER_MINUTE

# Median seconds on a page, by section.
DWELL_SECONDS = {
    "home": 22, "marketing": 30, "pricing": 50, "docs": 75, "blog": 95, "agents": 40,
    "legal": 35, "auth": 30, "app": 45,
}  # fmt: skip
# Seconds of reading needed to reach the bottom of a page, by section.
READ_SECONDS = {"docs": 140, "blog": 200, "legal": 240}
API_PATHS_ON_LOAD = {
    "/dashboard": "/api/v1/me",
    "/chat": "/api/v1/conversations",
    "/dashboard/usage": "/api/v1/usage",
    "/settings": "/api/v1/api-keys",
}

VisitKind = str  # browse, member, app, hacker_news


@dataclass
class Step:
    path: str
    action: str | None = None  # chat, agent:<name>, signup


class HumanTraffic:
    def __init__(
        self,
        rng: DemoRandom,
        window: Window,
        audience: Audience,
        users: UserBase,
        platform: Platform,
    ) -> None:
        self._rng = rng
        self._window = window
        self._limit = window.length_ms
        self._audience = audience
        self._users = users
        self._platform = platform
        self._referrers = Weighted([(ref, ref.weight) for ref in REFERRERS])
        self._app_referrers = Weighted(
            [(ref, ref.weight) for ref in REFERRERS if ref.channel in ("direct", "search",
                                                                      "ai_assistant", "social")]
        )  # fmt: skip
        self._section_pages = {
            section: Weighted([(page.path, page.popularity) for page in PAGES
                               if page.section == section])
            for section in NEXT_SECTION
        }  # fmt: skip
        self._next_section = {
            section: Weighted(list(weights)) for section, weights in NEXT_SECTION.items()
        }
        self._chat_models = Weighted(list(CHAT_MODELS))
        self._free_models = Weighted(list(FREE_CHAT_MODELS))
        self._agents = Weighted(list(AGENT_WEIGHTS))
        # Visitors who came before the window, so early visits can be returning ones too.
        self._returning: list[Visitor] = []

    def add_earlier_visitors(self, count: int) -> None:
        self._returning.extend(self._audience.new_visitor(self._rng) for _ in range(count))

    # ----------------------------------------------------------------------------------
    # Who comes, from where
    # ----------------------------------------------------------------------------------
    def visit(self, kind: VisitKind, start_ms: int, session_id: str) -> SessionBuilder:
        rng = self._rng
        user: User | None = None
        if kind == "member":
            user = self._users.pick_member(rng)
            visitor = user.devices[0] if rng.chance(0.75) else rng.choice(user.devices)
            ref = None if rng.chance(0.9) else self._referrers.pick(rng)
            steps = self._member_steps()
        elif kind == "app":
            user = self._users.returning_anonymous(rng) if rng.chance(0.35) else None
            if user is None:
                visitor = self._audience.new_visitor(rng)
                user = self._users.new_anonymous(rng, visitor, start_ms)
            visitor = user.devices[0]
            ref = self._app_referrers.pick(rng)
            steps = (
                [Step("/chat", "chat")] if rng.chance(0.6) else [Step("/"), Step("/chat", "chat")]
            )
            if rng.chance(0.3):
                steps.append(Step("/chat", "chat"))
        else:
            visitor = self._browsing_visitor()
            ref = HACKER_NEWS if kind == "hacker_news" else self._referrers.pick(rng)
            landing = (
                LAUNCH_POST
                if kind == "hacker_news"
                else self._section_pages[_pick_section(rng, ref)].pick(rng)
            )
            steps = self._browse_steps(landing, js=_runs_js(visitor))
        builder = SessionBuilder(
            id=session_id,
            attrs=session_attrs(source="web", **visitor.session_columns()),
        )
        builder.user_id = user.id if user is not None else None
        builder.attrs.update(self._attribution(ref, steps[0].path))
        self._walk(builder, visitor, user, steps, start_ms)
        return builder

    def _browsing_visitor(self) -> Visitor:
        rng = self._rng
        if self._returning and rng.chance(RETURNING_SHARE):
            return rng.choice(self._returning)
        visitor = self._audience.new_visitor(rng)
        self._returning.append(visitor)
        return visitor

    def _attribution(self, ref: Referrer | None, landing: str) -> dict[str, Any]:
        rng = self._rng
        values: dict[str, Any] = {
            "channel": "direct",
            "referrer_url": None,
            "referrer_source": None,
            "landing_page": landing,
        }
        params: dict[str, str] = {}
        if ref is not None:
            values["channel"] = ref.channel
            if ref.url is not None:
                values["referrer_url"] = ref.url.replace("{token}", _token(rng))
                values["referrer_source"] = ref.source
            if ref.utm is not None and rng.chance(ref.utm_share):
                source, medium, campaign = ref.utm
                params["utm_source"] = source
                if medium:
                    params["utm_medium"] = medium
                if campaign:
                    params["utm_campaign"] = campaign
                if medium in ("social", "email") and rng.chance(0.5):
                    content = rng.choice(UTM_CONTENT)
                    if content:
                        params["utm_content"] = content
                if medium == "cpc":
                    term = rng.choice(UTM_TERMS)
                    if term:
                        params["utm_term"] = term
        for key in ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"):
            values[key] = params.get(key)
        query = f"?{urlencode(params)}" if params else ""
        values["entry_url"] = f"{SITE_ORIGIN}{landing}{query}"
        return values

    # ----------------------------------------------------------------------------------
    # Where they go
    # ----------------------------------------------------------------------------------
    def _browse_steps(self, landing: str, *, js: bool) -> list[Step]:
        rng = self._rng
        if js and rng.chance(CONVERSION_SHARE / JS_SHARE):
            steps = [Step(landing)]
            if landing != "/" and rng.chance(0.5):
                steps.append(Step("/"))
            for _ in range(rng.randint(0, 2)):
                steps.append(Step(self._next_page(steps[-1].path)))
            steps = [step for step in steps if not step.path.startswith(("/pricing", "/signup"))]
            if not steps:
                steps = [Step("/")]
            steps.append(Step("/pricing"))
            if rng.chance(0.2):
                steps.append(Step("/pricing/compare"))
            steps += [Step("/signup", "signup"), Step("/dashboard")]
            if rng.chance(0.5):
                steps.append(Step("/chat", "chat"))
            return steps
        if rng.chance(BOUNCE_SHARE):
            return [Step(landing)]
        count = 1 + rng.geometric(2.6, high=18)
        steps = [Step(landing)]
        while len(steps) < count:
            steps.append(Step(self._next_page(steps[-1].path)))
        return steps

    def _next_page(self, current: str) -> str:
        rng = self._rng
        page = PAGES_BY_PATH.get(current)
        section = page.section if page is not None else "home"
        if section == "app":
            section = "home"
        for _ in range(4):
            next_section = self._next_section[section].pick(rng)
            if next_section == "app":
                continue
            path = self._section_pages[next_section].pick(rng)
            if path != current:
                return path
        return "/"

    def _member_steps(self) -> list[Step]:
        rng = self._rng
        roll = rng.random()
        if roll < 0.6:
            steps = [Step("/dashboard")]
        elif roll < 0.85:
            steps = [Step("/login", "login"), Step("/dashboard")]
        else:
            steps = [Step("/"), Step("/dashboard")]
        for _ in range(rng.geometric(2.0, high=8)):
            action = rng.random()
            if action < 0.5:
                steps.append(Step("/chat", "chat"))
            elif action < 0.75:
                agent = self._agents.pick(rng)
                steps.append(Step(f"/agents/{agent}", f"agent:{agent}"))
            elif action < 0.87:
                steps.append(Step(self._section_pages["docs"].pick(rng)))
            elif action < 0.95:
                steps.append(Step("/dashboard/usage"))
            else:
                steps.append(Step("/settings"))
        return steps

    # ----------------------------------------------------------------------------------
    # The walk
    # ----------------------------------------------------------------------------------
    def _walk(
        self,
        builder: SessionBuilder,
        visitor: Visitor,
        user: User | None,
        steps: list[Step],
        start_ms: int,
    ) -> None:
        rng = self._rng
        js = _runs_js(visitor) or user is not None
        single = len(steps) == 1
        t = start_ms
        for index, step in enumerate(steps):
            if t >= self._limit:
                break
            path = step.path
            status = 200
            if index > 0 and step.action is None and rng.chance(0.015):
                path, status = rng.choice(BROKEN_PATHS), 404
            page = PAGES_BY_PATH.get(path)
            section = page.section if page is not None else "home"
            size = int((page.size_kb if page is not None else 9) * 1024 * rng.uniform(0.9, 1.1))
            latency = rng.lognormal_median(110 if index == 0 else 42, 0.5)
            builder.request(t, "GET", path, status, latency, "page", size)
            if js:
                self._client_event(
                    builder,
                    t + int(rng.lognormal_median(450, 0.5)),
                    "page_view",
                    path,
                    properties={"title": page.title if page else "Not found"},
                )
            api_path = API_PATHS_ON_LOAD.get(path)
            api_at = t + rng.randint(150, 600)
            if api_path is not None and user is not None and api_at < self._limit:
                builder.request(
                    api_at,
                    "GET",
                    api_path,
                    200,
                    rng.lognormal_median(28, 0.5),
                    "api",
                    rng.randint(600, 9000),
                )
            end = self._act(builder, user, visitor, step, t)
            dwell = end - t if end is not None else self._dwell(section, single)
            last = index == len(steps) - 1
            if js:
                self._engage(builder, path, section, t, dwell, navigated=not last)
            t += dwell + rng.randint(150, 900)

    def _act(
        self,
        builder: SessionBuilder,
        user: User | None,
        visitor: Visitor,
        step: Step,
        t: int,
    ) -> int | None:
        """Run the step's action; returns when the visitor leaves the page (None: default)."""
        rng = self._rng
        action = step.action
        if action is None:
            return None
        if action == "login":
            at = t + pause_ms(rng, 9_000, 2_000, 60_000)
            if at >= self._limit:
                return at
            builder.request(at, "POST", "/api/v1/auth/login", 200, rng.lognormal_median(180, 0.4),
                            "api", 420)  # fmt: skip
            return at + rng.randint(300, 1200)
        if action == "signup":
            at = t + pause_ms(rng, 45_000, 8_000, 5 * MS_PER_MINUTE)
            if at >= self._limit:
                return at
            builder.request(at - 300, "POST", "/api/v1/auth/signup", 201,
                            rng.lognormal_median(240, 0.4), "api", 512)  # fmt: skip
            session_start = min(request[0] for request in builder.requests)
            new_user = self._users.sign_up(rng, visitor, session_start, at)
            builder.user_id = new_user.id
            builder.converted_ms = builder.signup_event_ms = at
            method = new_user.traits.get("signup_method", "email")
            self._client_event(builder, at, "conversion", "/signup", name="signup",
                               properties={"plan": "free", "method": method})  # fmt: skip
            return at + rng.randint(800, 2500)
        user_id = builder.user_id
        if action == "chat":
            free = user is None or user.is_anonymous or user.plan == "free"
            models = self._free_models if free and rng.chance(0.7) else self._chat_models
            return self._platform.chat(builder, user_id, t, models, streaming_share=0.92)
        agent = action.split(":", 1)[1]
        start = t + pause_ms(rng, 8_000, 1_000, 60_000)
        return self._platform.agent_task(builder, user_id, start, agent)

    def _dwell(self, section: str, single: bool) -> int:
        rng = self._rng
        if single:
            if rng.chance(0.85):
                return max(800, min(int(rng.lognormal_median(6_000, 0.7)), 30_000))
            return max(15_000, min(int(rng.lognormal_median(120_000, 0.7)), MAX_DWELL_MS))
        median = DWELL_SECONDS.get(section, 30) * 1000
        return max(1_500, min(int(rng.lognormal_median(median, 0.9)), MAX_DWELL_MS))

    def _engage(
        self,
        builder: SessionBuilder,
        path: str,
        section: str,
        t: int,
        time_on_page: int,
        *,
        navigated: bool,
    ) -> None:
        rng = self._rng
        leave = t + time_on_page
        links = OUTBOUND_LINKS.get(section)
        if links and rng.chance(0.06):
            click = t + int(time_on_page * rng.uniform(0.3, 0.95))
            if click < self._limit:
                self._client_event(builder, click, "link_click", path,
                                   target_url=rng.choice(links),
                                   properties={"outbound": True})  # fmt: skip
        if section == "docs" and rng.chance(0.1):
            copied = t + int(time_on_page * rng.uniform(0.2, 0.9))
            if copied < self._limit:
                language = rng.choice(("python", "bash", "typescript"))
                self._client_event(builder, copied, "custom", path, name="copy_code",
                                   properties={"language": language})  # fmt: skip
        if leave >= self._limit:
            return  # still on the page: the engagement beacon comes when they leave
        visible = int(time_on_page * rng.uniform(0.75, 1.0))
        engaged = int(visible * rng.uniform(0.55, 0.95))
        engaged_s = engaged / 1000
        read_s = READ_SECONDS.get(section, 60)
        if engaged_s < 3:
            depth = rng.randint(0, 20)
        else:
            depth = int(min(100.0, engaged_s / read_s * 100 * rng.uniform(0.6, 1.3) + 10))
        clicks = int(engaged_s / 25 * rng.uniform(0, 2)) + (1 if navigated else 0)
        rage = rng.randint(3, 6) if rng.chance(0.012) else 0
        dead = rng.randint(1, 3) if rng.chance(0.04) else 0
        clicks += rage + dead
        first_interaction = None
        if clicks or depth:
            first_interaction = min(int(rng.lognormal_median(2_500, 0.7)), time_on_page)
        if engaged_s < 5 and depth < 25:
            pattern = "bounce"
        elif engaged_s < 15:
            pattern = "skim"
        elif engaged_s < 45:
            pattern = "scan"
        elif engaged_s < 180 and clicks < 6:
            pattern = "read"
        else:
            pattern = "engaged"
        builder.engagement.append(
            {
                "_ms": leave,
                "client_event_id": rng.uuid_str(),
                "session_id": builder.id,
                "occurred_at": self._window.at(leave),
                "path": path,
                "time_on_page_ms": time_on_page,
                "visible_time_ms": visible,
                "engaged_time_ms": engaged,
                "max_scroll_depth": depth,
                "click_count": clicks,
                "rage_click_count": rage,
                "dead_click_count": dead,
                "time_to_first_interaction_ms": first_interaction,
                "reading_pattern": pattern,
            }
        )

    def _client_event(
        self,
        builder: SessionBuilder,
        ms: int,
        event_type: str,
        path: str,
        *,
        name: str | None = None,
        target_url: str | None = None,
        properties: dict[str, Any] | None = None,
    ) -> None:
        if ms >= self._limit:
            return
        rng = self._rng
        received = ms + rng.randint(40, 2500)
        if received >= self._limit:
            received = ms
        at = self._window.at
        builder.client_events.append(
            {
                "_ms": ms,
                "client_event_id": rng.uuid_str(),
                "session_id": builder.id,
                "occurred_at": at(ms),
                "received_at": at(received),
                "event_type": event_type,
                "name": name,
                "path": path,
                "target_url": target_url,
                "properties": properties,
                "schema_version": 1,
            }
        )


def _pick_section(rng: DemoRandom, ref: Referrer) -> str:
    total = sum(weight for _, weight in ref.landing)
    roll = rng.random() * total
    for section, weight in ref.landing:
        roll -= weight
        if roll < 0:
            return section
    return ref.landing[-1][0]


def _runs_js(visitor: Visitor) -> bool:
    # A property of the visitor (a blocker is installed or not), stable across sessions.
    return int(visitor.visitor_hash[:4], 16) < JS_SHARE * 0x10000


_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _token(rng: DemoRandom) -> str:
    return "".join(rng.choice(_ID_CHARS) for _ in range(10))
