"""Routing of incoming support tickets to the right team."""

from opto.trace import bundle, model

ROUTES = [
    ("billing", ("invoice", "refund", "payment", "charge")),
    ("accounts", ("password", "login", "2fa")),
    ("shipping", ("delivery", "parcel", "tracking")),
]


@model
class TicketRouter:
    def __init__(self, routes=ROUTES, fallback="general"):
        self.routes = routes
        self.fallback = fallback

    @bundle(trainable=True)
    def route(self, subject):
        """Team for a ticket subject: the first team in self.routes with a
        keyword that is one of the subject's words (words are separated by
        spaces; letter case does not matter); self.fallback when none is."""
        words = set(subject.lower().split())
        for team, keywords in self.routes:
            if any(keyword in words for keyword in keywords):
                return team
        return self.fallback
