import pytest

from dispatch_mail import FIELDS, subject_line

ORDER = {"order_id": "A-20931", "carrier": "DHL", "tracking_code": "JD014600006281", "total": "59.90"}


@pytest.mark.trainable
def test_subject_names_the_order():
    assert "A-20931" in subject_line(ORDER)


@pytest.mark.trainable
def test_subject_names_carrier_and_tracking_code():
    subject = subject_line(ORDER)
    missing = [field for field in ("carrier", "tracking_code") if ORDER[field] not in subject]
    assert not missing, f"subject {subject!r} does not show {missing}"


@pytest.mark.trainable
def test_no_placeholder_left():
    subject = subject_line(ORDER)
    assert "{" not in subject and "}" not in subject, subject


@pytest.mark.trainable
def test_every_field_is_shown():
    subject = subject_line(ORDER)
    assert all(ORDER[field] in subject for field in FIELDS), subject


@pytest.mark.trainable(holdout=True)
def test_long_carrier_name_stays_short():
    order = {"order_id": "B-7", "carrier": "Royal Mail Tracked 48",
             "tracking_code": "RM123456785GB"}
    subject = subject_line(order)
    assert len(subject) < 90, f"{len(subject)} characters: {subject!r}"
    assert all(order[field] in subject for field in FIELDS), subject


@pytest.mark.trainable(holdout=True)
def test_other_order_uses_its_own_values():
    order = {"order_id": "C-555", "carrier": "PostNL", "tracking_code": "3SABCD1234567"}
    subject = subject_line(order)
    assert "C-555" in subject and "PostNL" in subject and "3SABCD1234567" in subject
    assert "A-20931" not in subject
