"""The kinds of risk a plan names, their titles, and which fail ``--trace-strict``."""

from __future__ import annotations

from dataclasses import dataclass

# Risk kinds; the first two make --trace-strict fail.
HIDDEN = "hidden-dependency"
NO_SIGNAL = "no-signal"
BROAD = "broad-surface"
GRAPH = "graph-size"
NESTED = "nested-trainable"
CLASS_CONTEXT = "super-or-mangled"
RECURSION = "recursion"
STRICT_KINDS = (HIDDEN, NO_SIGNAL)

RISK_TITLES = {
    HIDDEN: "hidden dependency",
    NO_SIGNAL: "no repeatable signal",
    BROAD: "surface too broad",
    GRAPH: "graph size",
    NESTED: "nested trainable",
    CLASS_CONTEXT: "class context",
    RECURSION: "recursion",
}


@dataclass
class Risk:
    kind: str
    text: str
    evidence: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "evidence": self.evidence}
