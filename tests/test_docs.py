"""The README and CI agree, and the documented settings are the real ones."""

from __future__ import annotations

import re
from pathlib import Path

from systemprompt_analytics.config import Settings, env_name

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_is_exactly_two_commands() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    run_command, test_command = commands
    for step in ("sp-analytics demo", "sp-analytics overview", "sp-analytics serve"):
        assert step in run_command
    assert test_command.endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = _quick_start_commands()[1]
    # CI may pass -q to pip; otherwise it is the same command.
    assert test_command.replace("pip install -e", "pip install -q -e") in ci_script
    assert "SP_ANALYTICS_REQUIRE_SERVICES=1" in ci_script


def test_every_setting_is_documented_in_the_readme_and_docs() -> None:
    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{env_name(name)}`" in README, name
        assert f"`{name}`" in configuration, name
