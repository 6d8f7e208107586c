"""First-party analytics and abuse defence for AI platforms."""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("systemprompt-analytics")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from systemprompt_analytics.service import Analytics

__all__ = ["Analytics", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy: importing the package (e.g. for the CLI) must not load the whole pipeline.
    if name == "Analytics":
        from systemprompt_analytics.service import Analytics

        return Analytics
    raise AttributeError(name)
