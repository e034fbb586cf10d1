"""Product codes scanned or typed at the warehouse gate."""

from opto.trace import bundle


@bundle(trainable=True)
def normalize_sku(code):
    """Canonical form of a SKU: surrounding spaces removed, letters in upper
    case, and each of the separators " ", "_" and "." written as "-"
    ("ab 12_x" becomes "AB-12-X")."""
    return code.strip().upper().replace(" ", "-").replace("_", "-").replace(".", "-")
