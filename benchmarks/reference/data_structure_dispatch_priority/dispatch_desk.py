"""The emergency dispatch desk: incidents wait until a crew is free."""

from collections import deque

from pytest_trace_opt import trainable


class DispatchDesk:
    def __init__(self):
        self.waiting = deque()  # (severity, incident) in the order reported

    def report(self, incident, severity):
        self.waiting.append((severity, incident))

    @trainable
    def dispatch(self):
        """Remove and return the incident the next free crew goes to: the
        highest severity first, and among equal severities the one reported
        earliest. Raises IndexError when nothing is waiting."""
        if not self.waiting:
            raise IndexError("no incident waiting")
        top = max(self.waiting, key=lambda item: item[0])
        self.waiting.remove(top)
        return top[1]
