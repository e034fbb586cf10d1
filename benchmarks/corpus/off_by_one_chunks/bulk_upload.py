"""Batching of records for the bulk-upload API."""

from pytest_trace_opt import trainable


@trainable
def batches(records, size):
    """Split `records` into consecutive lists of `size` records; the last
    batch holds whatever is left and may be shorter. No records give no
    batches. A size below 1 raises ValueError."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    return [records[i : i + size] for i in range(0, len(records) - size + 1, size)]
