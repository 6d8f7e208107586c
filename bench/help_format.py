"""How the benchmarks' ``--help`` reads: the module's whole docstring, and each option's default."""

from __future__ import annotations

import argparse


class HelpFormat(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The docstring as written (its usage lines and tables), defaults after each option."""
