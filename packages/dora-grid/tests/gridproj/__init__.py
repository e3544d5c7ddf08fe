"""A tiny project for the dora-grid tests: a main on MainBase, jobs of a few milliseconds."""
