import pytest
from prompts import build_ticket_prompt

pytestmark = pytest.mark.trainable

TICKET = {"title": "Login fails", "body": "Error 500 after SSO redirect", "customer": "ACME"}


def test_prompt_mentions_every_field(trace_feedback):
    prompt = build_ticket_prompt(**TICKET)
    missing = [name for name, value in TICKET.items() if value not in prompt]
    trace_feedback.score(1 - len(missing) / len(TICKET))
    assert not missing, f"the prompt leaves out the ticket's {', '.join(missing)}"


def test_prompt_asks_for_a_priority(trace_feedback):
    prompt = build_ticket_prompt(**TICKET).lower()
    if "priority" not in prompt:
        trace_feedback.critique("The triage model must be asked for a priority (low/medium/high).")
    assert "priority" in prompt
