"""Pure detection logic: user agents, bots, crawlers, scanners, behaviour, throttle levels."""
