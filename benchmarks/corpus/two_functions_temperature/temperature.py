"""Unit conversions for the weather widget."""

from pytest_trace_opt import trainable


@trainable
def celsius_to_fahrenheit(celsius):
    """Convert degrees Celsius to degrees Fahrenheit."""
    return celsius * 9 / 5 + 32


@trainable
def fahrenheit_to_celsius(fahrenheit):
    """Convert degrees Fahrenheit to degrees Celsius (inverse of celsius_to_fahrenheit)."""
    return fahrenheit - 32 * 5 / 9
