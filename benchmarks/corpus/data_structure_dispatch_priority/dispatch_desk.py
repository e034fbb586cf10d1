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
        severity, incident = self.waiting.popleft()
        return incident
