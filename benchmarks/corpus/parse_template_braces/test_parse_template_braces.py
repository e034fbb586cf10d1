import pytest

from mail_merge import render

READER = {"first_name": "Grace", "plan": "Pro", "days": 12}


@pytest.mark.trainable
def test_placeholders():
    got = render("Hi {first_name}, your {plan} trial ends in {days} days.", READER)
    assert got == "Hi Grace, your Pro trial ends in 12 days."


@pytest.mark.trainable
def test_unknown_field():
    with pytest.raises(KeyError):
        render("Dear {title} {first_name}", READER)


@pytest.mark.trainable
def test_escaped_braces_around_a_name():
    got = render("Write {{first_name}} to greet readers by name.", READER)
    assert got == "Write {first_name} to greet readers by name.", got


@pytest.mark.trainable
def test_escaped_braces_next_to_a_placeholder():
    got = render("{{{plan}}}", READER)
    assert got == "{Pro}", f"render('{{{{{{plan}}}}}}', ...) returned {got!r}"


@pytest.mark.trainable
def test_lone_closing_braces():
    assert render("a }} b {{ c", READER) == "a } b { c"


@pytest.mark.trainable(holdout=True)
def test_json_snippet():
    got = render('{{"id": {days}, "plan": "{plan}"}}', READER)
    assert got == '{"id": 12, "plan": "Pro"}'


@pytest.mark.trainable(holdout=True)
def test_no_placeholders_and_doubled_escapes():
    assert render("plain text", READER) == "plain text"
    assert render("{{{{x}}}}", READER) == "{{x}}"
