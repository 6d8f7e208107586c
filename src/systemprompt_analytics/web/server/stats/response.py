"""The stats API's response body: exactly the text the CLI's ``--json`` prints."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse


def report_json(data: Any) -> str:
    """The serialisation of ``cli.render.print_json``: two-space indent, ``str`` for values
    JSON has no type for (timestamps, decimals), and a final newline."""
    return json.dumps(data, indent=2, default=str) + "\n"


class ReportJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return report_json(content).encode("utf-8")
