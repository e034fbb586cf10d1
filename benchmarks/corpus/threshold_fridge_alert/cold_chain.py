"""Cold-chain monitoring for the grocery delivery vans."""

from opto.trace import node

ALERT_CELSIUS = node(
    10.0,
    trainable=True,
    description="Fridge temperature in degrees Celsius above which a reading raises an alert",
)


def needs_alert(reading_celsius):
    """Raise an alert when a reading is above ALERT_CELSIUS. The threshold
    must flag every reading that the food-safety log marks as spoiled and
    none that it marks as safe."""
    return reading_celsius > ALERT_CELSIUS.data
