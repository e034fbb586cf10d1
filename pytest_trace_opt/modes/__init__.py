"""The pytest-facing objects of each mode: optimize, plan and the CI outputs."""
