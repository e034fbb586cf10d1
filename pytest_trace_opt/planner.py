"""``--trace-plan``: placeholder registration point, filled in by the planning work."""
