"""Value types shared across the package."""
