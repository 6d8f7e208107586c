"""Deterministic, realistic demo data: humans, bots, users and platform activity.

:func:`systemprompt_analytics.demo.generator.generate_demo` is the entry point. Generation is
pure (seeded PRNG, no clock, no I/O) and produces rows; :mod:`.writer` inserts them.
"""
