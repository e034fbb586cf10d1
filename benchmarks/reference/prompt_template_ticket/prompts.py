"""Prompt for the support-ticket summarizer."""

from opto.trace import node

TEMPLATE = node(
    "Summarize this support ticket in two sentences.\nTitle: {title}\nPriority: {priority}\n"
    "Customer: {customer}\nDetails: {body}",
    trainable=True,
    description="Prompt template for the ticket summarizer, filled with str.format",
)

# Ticket fields the summarizer must see; tickets may carry other fields too.
REQUIRED_FIELDS = ("title", "body", "priority", "customer")


def build_prompt(ticket):
    """Fill TEMPLATE with a ticket (a dict of strings): the prompt asks for a
    summary and shows every field in REQUIRED_FIELDS."""
    return TEMPLATE.data.format(**ticket)
