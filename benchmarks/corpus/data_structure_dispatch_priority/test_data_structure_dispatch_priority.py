import pytest

from dispatch_desk import DispatchDesk


def desk(*incidents):
    d = DispatchDesk()
    for incident, severity in incidents:
        d.report(incident, severity)
    return d


@pytest.mark.trainable
def test_single_incident():
    assert desk(("cat in tree", 1)).dispatch() == "cat in tree"


@pytest.mark.trainable
def test_nothing_waiting():
    with pytest.raises(IndexError):
        DispatchDesk().dispatch()


@pytest.mark.trainable
def test_most_severe_first():
    d = desk(("noise complaint", 1), ("house fire", 5), ("car crash", 4))
    got = [d.dispatch() for _ in range(3)]
    assert got == ["house fire", "car crash", "noise complaint"], f"dispatched {got}"


@pytest.mark.trainable
def test_equal_severity_in_reporting_order():
    d = desk(("flooded cellar", 2), ("fallen tree", 2), ("gas smell", 4))
    got = [d.dispatch() for _ in range(3)]
    assert got == ["gas smell", "flooded cellar", "fallen tree"], f"dispatched {got}"


@pytest.mark.trainable(holdout=True)
def test_reports_arriving_between_dispatches():
    d = desk(("a", 1), ("b", 3))
    assert d.dispatch() == "b"
    d.report("c", 2)
    d.report("d", 5)
    assert [d.dispatch(), d.dispatch(), d.dispatch()] == ["d", "c", "a"]


@pytest.mark.trainable(holdout=True)
def test_many_ties():
    d = desk(*[(f"call{n}", n % 3) for n in range(9)])
    got = [d.dispatch() for _ in range(9)]
    assert got == ["call2", "call5", "call8", "call1", "call4", "call7", "call0", "call3", "call6"]
