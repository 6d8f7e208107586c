"""``classify-ua`` through Typer: stdin and --file, one JSON line per input line, bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from systemprompt_analytics.cli.classify_ua_cmd import classify_stream, classify_ua_command

KEYS = [
    "ua",
    "is_bot",
    "is_ai_crawler",
    "bot_name",
    "category",
    "reason",
    "browser",
    "browser_version",
    "os",
    "device_type",
]
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36"
)
GPTBOT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)"
)


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False)
    app.command("classify-ua")(classify_ua_command)

    @app.callback()
    def _root() -> None:
        """Mount point: keeps classify-ua a subcommand, as in the real app."""

    return app


@pytest.fixture
def invoke() -> Any:
    runner = CliRunner()
    app = _app()

    def run(args: list[str], stdin: bytes | str | None = None) -> Any:
        return runner.invoke(app, ["classify-ua", *args], input=stdin)

    return run


def _records(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


def test_stdin_gives_one_json_object_per_line(invoke: Any) -> None:
    result = invoke([], f"{CHROME}\n{GPTBOT}\ncurl/8.4.0\n")
    assert result.exit_code == 0, result.output
    records = _records(result.stdout)
    assert [list(record) for record in records] == [KEYS] * 3
    chrome, gptbot, curl = records
    assert chrome["is_bot"] is False and chrome["browser"] == "Chrome"
    assert chrome["device_type"] == "desktop" and chrome["category"] is None
    assert gptbot["is_ai_crawler"] is True and gptbot["bot_name"] == "GPTBot"
    assert curl["category"] == "http_library" and curl["reason"] == "crawler list: curl"


def test_file_option(invoke: Any, tmp_path: Path) -> None:
    source = tmp_path / "uas.txt"
    source.write_text(f"{GPTBOT}\n{CHROME}\n", encoding="utf-8")
    result = invoke(["--file", str(source)])
    assert result.exit_code == 0, result.output
    assert [record["ua"] for record in _records(result.stdout)] == [GPTBOT, CHROME]


def test_lines_map_one_to_one(invoke: Any) -> None:
    # A blank line in the middle is an (empty, malformed) user agent; the final line break
    # does not add a line; a last line without a break still counts; CRLF is one break.
    result = invoke([], f"{CHROME}\r\n\n{GPTBOT}\n-")
    records = _records(result.stdout)
    assert [record["ua"] for record in records] == [CHROME, "", GPTBOT, "-"]
    assert records[1]["reason"] == "empty user agent"
    assert records[3]["category"] == "malformed"


def test_empty_input_prints_nothing(invoke: Any) -> None:
    result = invoke([], "")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_invalid_utf8_does_not_crash(invoke: Any, tmp_path: Path) -> None:
    source = tmp_path / "latin1.txt"
    source.write_bytes(
        b"Mozilla/5.0 (Windows NT 10.0) caf\xe9 \xff\xfe\n" + CHROME.encode() + b"\n"
    )
    result = invoke(["--file", str(source)])
    assert result.exit_code == 0, result.output
    first, second = _records(result.stdout)
    assert "\ufffd" in first["ua"]
    assert second["browser"] == "Chrome"


def test_a_byte_order_mark_is_not_part_of_the_first_ua(invoke: Any) -> None:
    result = invoke([], b"\xef\xbb\xbf" + CHROME.encode() + b"\n")
    (record,) = _records(result.stdout)
    assert record["ua"] == CHROME and record["is_bot"] is False


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_file_exits_2_naming_the_option(invoke: Any, tmp_path: Path, kind: str) -> None:
    target = tmp_path / "nope.txt" if kind == "missing" else tmp_path
    result = invoke(["--file", str(target)])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "--file" in message and "cannot read" in message
    assert "Traceback" not in result.output


def test_stream_writes_in_chunks_and_counts_lines() -> None:
    count = 10_000
    writes: list[str] = []
    lines = (f"{CHROME} {i % 50}\n".encode() for i in range(count))
    assert classify_stream(lines, writes.append) == count
    assert 1 < len(writes) < count  # chunked, not one write per line
    output = "".join(writes)
    assert output.count("\n") == count
    assert all(record["is_bot"] is False for record in _records(output))


def test_stream_accepts_any_binary_file_object() -> None:
    out = io.StringIO()
    assert classify_stream(io.BytesIO(b"curl/8.4.0\nnull\n"), out.write) == 2
    assert [record["category"] for record in _records(out.getvalue())] == [
        "http_library",
        "malformed",
    ]


def test_an_oversized_line_is_reported_not_cached() -> None:
    out = io.StringIO()
    huge = b"Mozilla/5.0 " + b"x" * 100_000 + b"\n"
    assert classify_stream(io.BytesIO(huge + b"curl/8.4.0\n"), out.write) == 2
    first, second = _records(out.getvalue())
    assert first["category"] == "malformed" and first["reason"].startswith("too long")
    assert second["bot_name"] == "curl"
