"""The best candidate so far, saved after every round so ``--trace-resume`` can go on."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Checkpoint:
    """What a resumed run needs: the accepted values and how many rounds were done."""

    best_values: dict[str, Any]
    rounds_done: int


class CheckpointFile:
    """One JSON file per tagged-test selection (a fingerprint of their ids), written atomically."""

    def __init__(self, path: Path | None, tagged: list[str]) -> None:
        self.path = path
        self.fingerprint = hashlib.sha256("\n".join(tagged).encode()).hexdigest()[:16]

    def save(self, checkpoint: Checkpoint) -> None:
        if self.path is None:
            return
        data = {
            "fingerprint": self.fingerprint,
            "best_values": checkpoint.best_values,
            "rounds_done": checkpoint.rounds_done,
        }
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data, default=str), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            self.path = None  # the cache became unwritable: run on, without checkpoints

    def load(self) -> tuple[Checkpoint | None, str]:
        """The checkpoint, or None and the reason there is none to resume from."""
        if self.path is None or not self.path.exists():
            return None, "no checkpoint to resume; starting from the beginning"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("fingerprint") != self.fingerprint:
                return None, "the checkpoint is for other tests; starting from the beginning"
            return Checkpoint(dict(data["best_values"]), int(data["rounds_done"])), ""
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            return None, f"the checkpoint cannot be read ({exc}); starting from the beginning"
