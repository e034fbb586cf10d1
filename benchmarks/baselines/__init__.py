"""Baselines for the repair benchmark (see docs/benchmarks.md).

``trace_loop``: a hand-written Trace loop as the Trace README teaches it.
``naive``: a naive "here is the code and the failing output, fix it" chat loop.
Both share the test running and source editing helpers of ``common``; neither uses
any part of the plugin except the LLM client (the same client every system gets).
"""
