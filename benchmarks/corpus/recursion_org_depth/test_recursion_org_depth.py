import pytest

from orgchart import levels


def person(name, *reports):
    return {"name": name, "reports": list(reports)}


@pytest.mark.trainable
def test_individual_contributor():
    assert levels(person("ana")) == 1


@pytest.mark.trainable
def test_single_chain_of_command():
    chart = person("ceo", person("cto", person("lead", person("dev"))))
    assert levels(chart) == 4


@pytest.mark.trainable
def test_lead_with_three_developers():
    team = person("lead", person("ben"), person("cy"), person("dee"))
    got = levels(team)
    assert got == 2, f"levels of a lead with three developers: {got}"


@pytest.mark.trainable
def test_uneven_branches():
    chart = person(
        "ceo",
        person("cfo"),
        person("cto", person("lead", person("dev"))),
        person("coo", person("ops")),
    )
    assert levels(chart) == 4


@pytest.mark.trainable(holdout=True)
def test_wide_and_deep():
    leads = [person(f"lead{i}", *[person(f"dev{i}{j}") for j in range(5)]) for i in range(3)]
    assert levels(person("vp", *leads)) == 3


@pytest.mark.trainable(holdout=True)
def test_missing_reports_key():
    assert levels({"name": "solo"}) == 1
    assert levels({"name": "boss", "reports": [{"name": "x"}, {"name": "y"}]}) == 2
