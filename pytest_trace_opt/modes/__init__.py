"""How the plugin runs in a mode of pytest: the pytest-facing side of its outputs."""
