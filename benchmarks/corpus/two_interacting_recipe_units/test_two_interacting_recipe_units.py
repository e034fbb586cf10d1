import pytest

from recipe_scaling import scale_recipe, to_grams


@pytest.mark.trainable
def test_grams_stay_grams():
    assert to_grams(250, "g") == 250


@pytest.mark.trainable
def test_unknown_unit():
    with pytest.raises(ValueError):
        to_grams(1, "cup")


@pytest.mark.trainable
def test_kilograms():
    got = to_grams(1.5, "kg")
    assert got == 1500, f"to_grams(1.5, 'kg') returned {got}"


@pytest.mark.trainable
def test_recipe_in_grams_for_more_people():
    got = scale_recipe({"flour": (500, "g"), "sugar": (120, "g")}, 4, 6)
    assert got == {"flour": 750, "sugar": 180}


@pytest.mark.trainable
def test_recipe_with_imperial_units():
    got = scale_recipe({"butter": (8, "oz"), "potatoes": (2, "lb")}, 4, 2)
    assert got == {"butter": 113, "potatoes": 454}, f"scale_recipe returned {got}"


@pytest.mark.trainable(holdout=True)
def test_other_conversions():
    assert to_grams(1, "lb") == pytest.approx(453.6)
    assert to_grams(2, "oz") == pytest.approx(56.7)


@pytest.mark.trainable(holdout=True)
def test_mixed_recipe_for_one():
    got = scale_recipe({"rice": (1, "kg"), "salt": (10, "g"), "cheese": (4, "oz")}, 8, 1)
    assert got == {"rice": 125, "salt": 1, "cheese": 14}
