"""How the benchmarks' ``--help`` reads: the module's whole docstring, and each option's default."""

from __future__ import annotations

import argparse


class HELP_FORMAT(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):  # noqa: N801
    """The docstring as written (its usage lines and tables), defaults after each option."""
