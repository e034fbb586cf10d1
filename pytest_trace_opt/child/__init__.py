"""Runs only inside evaluation children (and their pytest-xdist workers).

A world of its own, as pytest-xdist's worker side is: it imports the protocol, the
data model and the shared text helpers, never the controller side (``core``, ``modes``,
``llm``, reports).
"""
