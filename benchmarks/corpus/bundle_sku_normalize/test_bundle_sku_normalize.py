import pytest

from sku_codes import normalize_sku


@pytest.mark.trainable
def test_already_canonical():
    assert normalize_sku("AB-12").data == "AB-12"


@pytest.mark.trainable
def test_case_and_spaces():
    assert normalize_sku("  xy 9 ").data == "XY-9"


@pytest.mark.trainable
def test_underscores():
    got = normalize_sku("ab_12_x").data
    assert got == "AB-12-X", f"normalize_sku('ab_12_x') returned {got!r}"


@pytest.mark.trainable
def test_dots():
    got = normalize_sku("kt.2040.blk").data
    assert got == "KT-2040-BLK", f"normalize_sku('kt.2040.blk') returned {got!r}"


@pytest.mark.trainable(holdout=True)
def test_mixed_separators():
    assert normalize_sku("ab 12_x").data == "AB-12-X"
    assert normalize_sku(" m.10_r s ").data == "M-10-R-S"


@pytest.mark.trainable(holdout=True)
def test_codes_without_separators():
    assert normalize_sku("zz9").data == "ZZ9"
    assert normalize_sku("A-1_b.2 c").data == "A-1-B-2-C"
