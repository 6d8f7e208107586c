"""The platform's users: registered members (most created before the window), anonymous
app users (created at their first session) and visitors who sign up during the window."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from systemprompt_analytics.demo.audience import Audience, Visitor
from systemprompt_analytics.demo.platform_catalog import CLI_USER_AGENTS
from systemprompt_analytics.demo.records import Row
from systemprompt_analytics.demo.rng import DemoRandom, Weighted
from systemprompt_analytics.demo.timeline import MS_PER_DAY, Window

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sofia", "Lucas", "Mia", "Elijah",
    "Priya", "Arjun", "Ananya", "Rohan", "Hannah", "Felix", "Lena", "Jonas", "Chloe", "Hugo",
    "Camille", "Louis", "Yuki", "Haruto", "Sakura", "Ren", "Ji-woo", "Min-jun", "Isabela",
    "Gabriel", "Lucia", "Marco", "Giulia", "Sven", "Astrid", "Kasia", "Piotr", "Daan", "Fleur",
    "Wei", "Mei", "Omar", "Layla", "Amara", "Kwame", "Diego", "Valentina", "Grace", "Ethan",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Miller", "Davis", "Martinez", "Brown", "Wilson", "Anderson",
    "Sharma", "Patel", "Iyer", "Reddy", "Muller", "Schmidt", "Fischer", "Weber", "Martin",
    "Bernard", "Dubois", "Tanaka", "Suzuki", "Sato", "Kim", "Park", "Lee", "Silva", "Santos",
    "Oliveira", "Rossi", "Russo", "Lindqvist", "Nowak", "Kowalski", "de Vries", "Jansen",
    "Chen", "Wang", "Haddad", "Mensah", "Okafor", "Lopez", "Gonzalez", "Taylor", "Thomas",
)  # fmt: skip
EMAIL_DOMAINS = (
    ("gmail.com", 38), ("outlook.com", 8), ("proton.me", 3), ("icloud.com", 4),
    ("acme.io", 5), ("northwind.dev", 4), ("initech.com", 4), ("globex.ai", 4),
    ("umbrella-labs.com", 3), ("hooli.xyz", 3), ("piedpiper.net", 3), ("wayne-enterprises.com", 2),
    ("tyrell.tech", 2), ("soylent.co", 2),
)  # fmt: skip
PLANS = (("free", 70), ("pro", 22), ("team", 8))
ROLES = (("developer", 55), ("founder", 10), ("data scientist", 12), ("product manager", 10),
         ("support lead", 6), ("researcher", 7))  # fmt: skip


@dataclass
class User:
    id: str
    is_anonymous: bool
    created_ms: int  # negative: before the window
    display_name: str | None = None
    email: str | None = None
    traits: dict[str, Any] = field(default_factory=dict)
    registered_ms: int | None = None
    devices: list[Visitor] = field(default_factory=list)
    cli: tuple[str, str] | None = None  # CLI user agent, fingerprint
    last_seen_ms: int | None = None

    @property
    def plan(self) -> str:
        return str(self.traits.get("plan", "free"))

    def seen(self, ms: int) -> None:
        if self.last_seen_ms is None or ms > self.last_seen_ms:
            self.last_seen_ms = ms


class UserBase:
    """Every user, and weighted picks of who is active (a few heavy users, a long tail)."""

    def __init__(
        self, rng: DemoRandom, audience: Audience, window: Window, registered: int
    ) -> None:
        self._rng = rng
        self._audience = audience
        self._window = window
        self.users: list[User] = []
        self.by_id: dict[str, User] = {}
        self._domains = Weighted(list(EMAIL_DOMAINS))
        self._plans = Weighted(list(PLANS))
        self._roles = Weighted(list(ROLES))
        self._cli_agents = Weighted(list(CLI_USER_AGENTS))
        members = [self._add(self._member(rng)) for _ in range(registered)]
        self._members = members
        self._member_weights = list(accumulate(rng.paretovariate(1.2) for _ in members))
        developers = [user for user in members if user.cli is not None]
        self._developers = developers
        self._developer_weights = list(accumulate(rng.paretovariate(1.1) for _ in developers))
        self._anonymous: list[User] = []

    def _profile(self, rng: DemoRandom, plan: str | None = None) -> dict[str, Any]:
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        local = f"{first}.{last}".lower().replace(" ", "").replace("-", "")
        if rng.chance(0.3):
            local += str(rng.randint(1, 99))
        domain = self._domains.pick(rng)
        traits: dict[str, Any] = {"plan": plan or self._plans.pick(rng)}
        traits["role"] = self._roles.pick(rng)
        if traits["plan"] == "team" or not domain.endswith((".com", ".me")):
            traits["company"] = domain.split(".")[0].replace("-", " ").title()
        return {"display_name": f"{first} {last}", "email": f"{local}@{domain}", "traits": traits}

    def _member(self, rng: DemoRandom) -> User:
        # Registered before the window: from a year ago up to the day before.
        created = -rng.randint(MS_PER_DAY, 400 * MS_PER_DAY)
        user = User(
            id=f"usr_{rng.uuid_hex()}",
            is_anonymous=False,
            created_ms=created,
            registered_ms=created + rng.randint(0, 600_000),
            **self._profile(rng),
        )
        first = self._audience.new_visitor(rng)
        user.devices.append(first)
        if rng.chance(0.35):
            other = "mobile" if first.browser.device == "desktop" else "desktop"
            second = self._audience.new_visitor(rng, self._audience.device_of(rng, other))
            user.devices.append(
                Visitor(
                    visitor_hash=second.visitor_hash,
                    fingerprint_hash=second.fingerprint_hash,
                    browser=second.browser,
                    country=first.country,
                    region=first.region,
                    city=first.city,
                    ip=first.ip if rng.chance(0.6) else second.ip,
                    locale=first.locale,
                )
            )
        if user.traits["role"] in ("developer", "data scientist") and rng.chance(0.55):
            user.cli = (self._cli_agents.pick(rng), rng.hex64())
        return user

    def _add(self, user: User) -> User:
        self.users.append(user)
        self.by_id[user.id] = user
        return user

    def pick_member(self, rng: DemoRandom) -> User:
        return _weighted_pick(rng, self._members, self._member_weights)

    def pick_developer(self, rng: DemoRandom) -> User | None:
        if not self._developers:
            return None
        return _weighted_pick(rng, self._developers, self._developer_weights)

    def new_anonymous(self, rng: DemoRandom, visitor: Visitor, at_ms: int) -> User:
        user = User(
            id=f"usr_{rng.uuid_hex()}",
            is_anonymous=True,
            created_ms=at_ms,
            traits={"plan": "free"},
            devices=[visitor],
        )
        self._anonymous.append(self._add(user))
        return user

    def returning_anonymous(self, rng: DemoRandom) -> User | None:
        return rng.choice(self._anonymous) if self._anonymous else None

    def sign_up(self, rng: DemoRandom, visitor: Visitor, started_ms: int, at_ms: int) -> User:
        """A visitor who registers during a session: the user exists from the session start."""
        user = User(
            id=f"usr_{rng.uuid_hex()}",
            is_anonymous=False,
            created_ms=started_ms,
            registered_ms=at_ms,
            devices=[visitor],
            **self._profile(rng, plan="free"),
        )
        user.traits["signup_method"] = rng.choice(("email", "github", "google"))
        return self._add(user)

    def rows(self, rng: DemoRandom) -> list[Row]:
        at = self._window.at
        rows: list[Row] = []
        for user in self.users:
            last_seen = user.last_seen_ms
            if last_seen is None and user.created_ms < 0:
                # Not seen in the window: last seen some time between sign-up and its start.
                last_seen = rng.randint(user.created_ms, -1)
            rows.append(
                {
                    "id": user.id,
                    "is_anonymous": user.is_anonymous,
                    "display_name": user.display_name,
                    "email": user.email,
                    "traits": user.traits,
                    "created_at": at(user.created_ms),
                    "registered_at": at(user.registered_ms)
                    if user.registered_ms is not None
                    else None,
                    "last_seen_at": at(last_seen) if last_seen is not None else None,
                }
            )
        return rows


def _weighted_pick(rng: DemoRandom, items: list[User], cumulative: list[float]) -> User:
    index = bisect_right(cumulative, rng.random() * cumulative[-1])
    return items[min(index, len(items) - 1)]
