"""``sp-analytics classify-ua``: classify user agents, one per line, into JSON lines.

Each input line gives exactly one output line, so results can be pasted next to their
input; an empty line is classified too (as an empty user agent). The line break ending the
last line does not start another line. Input is read as UTF-8, invalid bytes replaced, and
streamed: memory stays flat however long the input is.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer

from systemprompt_analytics.detection.bot_rules import MAX_LENGTH
from systemprompt_analytics.detection.user_agents import (
    CACHE_SIZE,
    classify_user_agent,
    clear_cache,
)

_FLUSH_EVERY = 4096  # lines per write: one syscall per chunk, not per line


def classify_ua_command(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="Read user agents from this file instead of standard input.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Classify user agents (one per line, from stdin or --file) and print one JSON object
    per line: ua, is_bot, is_ai_crawler, bot_name, category, reason, browser,
    browser_version, os, device_type."""
    try:
        if file is None:
            classify_stream(sys.stdin.buffer, sys.stdout.write)
        else:
            _classify_file(file)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as the docs of `signal` advise.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(1) from None


def _classify_file(file: Path) -> None:
    try:
        handle = file.open("rb")
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot read {file}: {exc.strerror or exc}", param_hint="--file"
        ) from exc
    with handle:
        try:
            classify_stream(handle, sys.stdout.write)
        except BrokenPipeError:
            raise
        except OSError as exc:  # an I/O error while reading, after a successful open
            raise typer.BadParameter(
                f"cannot read {file}: {exc.strerror or exc}", param_hint="--file"
            ) from exc


def classify_stream(lines: Iterable[bytes], write: Callable[[str], object]) -> int:
    """Classify every line of a binary stream, writing JSON lines; returns the line count."""
    chunk: list[str] = []
    count = 0
    for raw in lines:
        if count == 0 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        chunk.append(_json_line(raw) if len(raw) <= _LONGEST_CACHED else _render(raw))
        count += 1
        if len(chunk) >= _FLUSH_EVERY:
            write("".join(chunk))
            chunk.clear()
    if chunk:
        write("".join(chunk))
    return count


def clear_caches() -> None:
    """Empty the classification and serialisation caches (benchmarks measure a cold start)."""
    clear_cache()
    _json_line.cache_clear()


_BOM = "\ufeff".encode()
_LONGEST_CACHED = 4 * MAX_LENGTH  # bytes; longer lines are malformed junk, not worth a slot


def _render(raw: bytes) -> str:
    ua = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
    return json.dumps(classify_user_agent(ua).to_json()) + "\n"


# Keyed on the raw line: popular user agents repeat, and a repeat then costs one lookup
# instead of a decode, a classification lookup and a JSON dump.
_json_line = functools.lru_cache(maxsize=CACHE_SIZE)(_render)
