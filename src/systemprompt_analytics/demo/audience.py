"""Visitor profiles: a browser, a place, an IP address and the two identity hashes.

A profile is reused across the sessions of a returning visitor or a user's device, so their
visitor and fingerprint hashes repeat the way a cookie and a stable fingerprint would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from systemprompt_analytics.demo.catalog import BROWSERS, COUNTRIES, Browser, Country
from systemprompt_analytics.demo.clients import user_agent_columns
from systemprompt_analytics.demo.rng import DemoRandom, Weighted


@dataclass(frozen=True)
class Visitor:
    visitor_hash: str
    fingerprint_hash: str
    browser: Browser
    country: str
    region: str
    city: str
    ip: str
    locale: str

    def session_columns(self) -> dict[str, Any]:
        return {
            "visitor_hash": self.visitor_hash,
            "fingerprint_hash": self.fingerprint_hash,
            "ip": self.ip,
            **user_agent_columns(self.browser.user_agent),
            "country": self.country,
            "region": self.region,
            "city": self.city,
            "locale": self.locale,
        }


def ipv4_in(rng: DemoRandom, prefix: str) -> str:
    """A host address inside a /16 (or /24) given as its leading octets."""
    octets = prefix.split(".")
    while len(octets) < 3:
        octets.append(str(rng.randint(0, 255)))
    octets.append(str(rng.randint(1, 254)))
    return ".".join(octets)


class Audience:
    """Draws new visitor profiles with the catalogue's browser and country shares."""

    def __init__(self) -> None:
        self._browsers = Weighted([(browser, browser.weight) for browser in BROWSERS])
        self._countries = Weighted([(country, country.share) for country in COUNTRIES])
        self._cities = {
            country.code: Weighted([((region, city), w) for region, city, w in country.cities])
            for country in COUNTRIES
        }
        self._locales = {country.code: Weighted(list(country.locales)) for country in COUNTRIES}

    def country(self, rng: DemoRandom) -> Country:
        return self._countries.pick(rng)

    def new_visitor(self, rng: DemoRandom, browser: Browser | None = None) -> Visitor:
        country = self._countries.pick(rng)
        region, city = self._cities[country.code].pick(rng)
        return Visitor(
            visitor_hash=rng.hex64(),
            fingerprint_hash=rng.hex64(),
            browser=browser or self._browsers.pick(rng),
            country=country.code,
            region=region,
            city=city,
            ip=ipv4_in(rng, rng.choice(country.ip_blocks)),
            locale=self._locales[country.code].pick(rng),
        )

    def device_of(self, rng: DemoRandom, device: str) -> Browser:
        """A browser of the given device type (a user's second device)."""
        while True:
            browser = self._browsers.pick(rng)
            if browser.device == device:
                return browser
