"""Scaling recipes for the meal-kit kitchen."""

from pytest_trace_opt import trainable

GRAMS_PER_UNIT = {"g": 1, "kg": 1000, "oz": 28.35, "lb": 453.6}


@trainable
def to_grams(quantity, unit):
    """Weight in grams of `quantity` of `unit` (a key of GRAMS_PER_UNIT).
    An unknown unit raises ValueError."""
    if unit not in GRAMS_PER_UNIT:
        raise ValueError(f"unknown unit {unit!r}")
    return quantity / GRAMS_PER_UNIT[unit]


@trainable
def scale_recipe(ingredients, servings, wanted_servings):
    """Ingredient weights in whole grams (rounded) for `wanted_servings`
    instead of `servings`; `ingredients` maps a name to (quantity, unit)."""
    factor = wanted_servings / servings
    return {
        name: round(to_grams(quantity, unit) * factor)
        for name, (quantity, unit) in ingredients.items()
    }
