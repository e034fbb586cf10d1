import pytest

from ticket_routing import TicketRouter


@pytest.mark.trainable
def test_keyword_routes_to_its_team():
    assert TicketRouter().route("Refund for order 1234").data == "billing"


@pytest.mark.trainable
def test_no_keyword_goes_to_the_fallback():
    assert TicketRouter().route("Question about opening hours").data == "general"


@pytest.mark.trainable
def test_keyword_inside_a_longer_word_does_not_count():
    got = TicketRouter().route("Phone charger missing from parcel").data
    assert got == "shipping", f"route('Phone charger missing from parcel') returned {got!r}"


@pytest.mark.trainable
def test_another_word_containing_a_keyword():
    got = TicketRouter().route("Recharge my gift card").data
    assert got == "general", f"route('Recharge my gift card') returned {got!r}"


@pytest.mark.trainable(holdout=True)
def test_more_partial_words():
    router = TicketRouter()
    assert router.route("Loginless checkout broken").data == "general"
    assert router.route("PAYMENTS page slow for delivery").data == "shipping"


@pytest.mark.trainable(holdout=True)
def test_custom_routes_and_case():
    router = TicketRouter(routes=[("sales", ("quote", "demo"))], fallback="triage")
    assert router.route("Demo request").data == "sales"
    assert router.route("Quotes are wrong").data == "triage"
