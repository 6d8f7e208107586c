"""Read-side queries behind every CLI and API report, one module per area."""
