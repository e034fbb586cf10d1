import pytest

from prompts import REQUIRED_FIELDS, build_prompt

TICKET = {
    "title": "Login fails after password reset",
    "body": "Since Monday the user gets error 403 on every login attempt.",
    "priority": "urgent",
    "customer": "ACME Logistics",
}


def missing_fields(ticket, prompt):
    return [field for field in REQUIRED_FIELDS if ticket[field] not in prompt]


@pytest.mark.trainable
def test_prompt_shows_every_required_field(trace_feedback):
    prompt = build_prompt(TICKET)
    missing = missing_fields(TICKET, prompt)
    trace_feedback.score(1 - len(missing) / len(REQUIRED_FIELDS))
    if missing:
        trace_feedback.critique(f"The prompt does not show the ticket's {', '.join(missing)}.")
    assert not missing, f"fields missing from the prompt: {missing}\nprompt: {prompt!r}"


@pytest.mark.trainable
def test_prompt_shows_priority():
    prompt = build_prompt(TICKET)
    assert "urgent" in prompt, f"the ticket's priority is not in the prompt: {prompt!r}"


@pytest.mark.trainable
def test_prompt_shows_title_and_body():
    prompt = build_prompt(TICKET)
    assert TICKET["title"] in prompt and TICKET["body"] in prompt


@pytest.mark.trainable
def test_prompt_asks_for_a_summary():
    prompt = build_prompt(TICKET)
    assert "summar" in prompt.lower()
    assert "{" not in prompt and "}" not in prompt, f"unfilled placeholder in {prompt!r}"


@pytest.mark.trainable(holdout=True)
def test_other_ticket_with_extra_fields(trace_feedback):
    ticket = {
        "title": "Invoice PDF is blank",
        "body": "Exported invoices open as empty pages in every viewer.",
        "priority": "low",
        "customer": "Jansen & Zonen",
        "id": "T-1042",
    }
    prompt = build_prompt(ticket)
    missing = missing_fields(ticket, prompt)
    trace_feedback.score(1 - len(missing) / len(REQUIRED_FIELDS))
    assert not missing, f"fields missing from the prompt: {missing}"


@pytest.mark.trainable(holdout=True)
def test_prompt_stays_short_and_uses_only_known_fields():
    ticket = {field: f"<{field} {{value}}>" for field in REQUIRED_FIELDS}
    prompt = build_prompt(ticket)
    assert len(prompt) < 600
    assert prompt.count("{value}") == len(REQUIRED_FIELDS)
