"""The ``sp-analytics`` command line: a Typer app, one module per command group."""
