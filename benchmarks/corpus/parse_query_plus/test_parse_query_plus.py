import pytest

from querystring import parse_query


@pytest.mark.trainable
def test_simple_pairs():
    assert parse_query("page=2&sort=price") == {"page": "2", "sort": "price"}


@pytest.mark.trainable
def test_percent_escapes():
    assert parse_query("?city=S%C3%A3o%20Paulo&x=%26") == {"city": "São Paulo", "x": "&"}


@pytest.mark.trainable
def test_plus_is_a_space():
    got = parse_query("q=red+running+shoes")
    assert got == {"q": "red running shoes"}, f"parse_query('q=red+running+shoes') returned {got}"


@pytest.mark.trainable
def test_form_with_spaces_in_keys_and_values():
    got = parse_query("full+name=Ada+Lovelace&note=")
    assert got == {"full name": "Ada Lovelace", "note": ""}, got


@pytest.mark.trainable(holdout=True)
def test_escaped_plus_stays_a_plus():
    assert parse_query("expr=1%2B1+%3D+2") == {"expr": "1+1 = 2"}
    assert parse_query("tag=c%2B%2B&tag=c+sharp") == {"tag": "c sharp"}


@pytest.mark.trainable(holdout=True)
def test_empty_pairs_and_bare_keys():
    assert parse_query("&&debug&lang=en+GB&") == {"debug": "", "lang": "en GB"}
    assert parse_query("") == {}
