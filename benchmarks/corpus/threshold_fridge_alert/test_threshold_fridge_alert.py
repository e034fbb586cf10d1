import pytest

from cold_chain import ALERT_CELSIUS, needs_alert

# (van fridge reading in degrees Celsius, verdict of the food-safety log)
SAFETY_LOG = [
    (1.5, "safe"), (2.0, "safe"), (3.1, "safe"), (4.0, "safe"), (4.8, "safe"),
    (5.6, "spoiled"), (6.2, "spoiled"), (7.9, "spoiled"), (9.5, "spoiled"), (12.0, "spoiled"),
]


@pytest.mark.trainable
def test_warm_fridge_raises_an_alert():
    assert needs_alert(12.0) is True


@pytest.mark.trainable
def test_cold_fridge_is_fine():
    assert needs_alert(2.0) is False


@pytest.mark.trainable
def test_mildly_warm_readings_raise_an_alert():
    for reading in (6.2, 7.9):
        assert needs_alert(reading) is True, f"{reading} C did not raise an alert"


@pytest.mark.trainable
def test_safety_log_is_classified_correctly():
    wrong = [(t, verdict) for t, verdict in SAFETY_LOG if needs_alert(t) != (verdict == "spoiled")]
    assert not wrong, f"misclassified (reading, verdict): {wrong}"


@pytest.mark.trainable
def test_threshold_is_a_fridge_temperature():
    assert 0.0 < ALERT_CELSIUS.data < 15.0


@pytest.mark.trainable(holdout=True)
def test_second_week_of_the_log():
    log = [(0.8, "safe"), (3.9, "safe"), (4.5, "safe"), (5.9, "spoiled"), (8.0, "spoiled")]
    wrong = [(t, verdict) for t, verdict in log if needs_alert(t) != (verdict == "spoiled")]
    assert not wrong, f"misclassified: {wrong}"


@pytest.mark.trainable(holdout=True)
def test_frozen_goods_never_alert():
    assert not any(needs_alert(t) for t in (-18.0, -2.5, 0.0))
