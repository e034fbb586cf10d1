import pytest

from contacts import group_by_domain


@pytest.mark.trainable
def test_distinct_domains():
    assert group_by_domain(["a@x.org", "b@y.com"]) == {"x.org": ["a@x.org"], "y.com": ["b@y.com"]}


@pytest.mark.trainable
def test_no_addresses():
    assert group_by_domain([]) == {}


@pytest.mark.trainable
def test_docstring_example():
    got = group_by_domain(["a@x.org", "b@Y.com", "c@x.org"])
    want = {"x.org": ["a@x.org", "c@x.org"], "y.com": ["b@Y.com"]}
    assert got == want, f"got {got}"


@pytest.mark.trainable
def test_whole_team_on_one_domain():
    team = ["ann@corp.io", "bob@corp.io", "cy@corp.io"]
    got = group_by_domain(team)
    assert got == {"corp.io": team}, f"got {got}"


@pytest.mark.trainable(holdout=True)
def test_domain_case_is_merged():
    got = group_by_domain(["a@X.org", "b@x.ORG", "c@x.org"])
    assert got == {"x.org": ["a@X.org", "b@x.ORG", "c@x.org"]}


@pytest.mark.trainable(holdout=True)
def test_at_sign_in_local_part():
    got = group_by_domain(['"odd@name"@mail.net', "z@mail.net"])
    assert got == {"mail.net": ['"odd@name"@mail.net', "z@mail.net"]}
