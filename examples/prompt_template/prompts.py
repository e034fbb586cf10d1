"""A prompt template tuned from a scored test."""

from opto.trace import node

TICKET_PROMPT = node(
    "Summarize this support ticket: {body}",
    trainable=True,
    description="Prompt for a triage model; str.format() fills {title}, {body} and {customer}",
)


def build_ticket_prompt(title, body, customer):
    return TICKET_PROMPT.data.format(title=title, body=body, customer=customer)
