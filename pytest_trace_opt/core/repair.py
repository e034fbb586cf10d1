"""``Repair``: a Trace optimizer of our own, made for repairing code from failing tests.

It reads the same graph as OptoPrime (the trainable parameters and the feedback that
``backward`` gave them) and asks for the corrected definition in one ```python block, with
a compact prompt: the module context the code depends on, the code with its suspicious
lines marked, the failing tests as evidence and what was already tried. Several samples of
one prompt come from one request (``n``): in process the model evaluates the prompt once.

Imported only under ``--trace-optimize`` (it imports ``opto.optimizers``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from typing import Any

from pytest_trace_opt.core.optoprime import import_optimizers
from pytest_trace_opt.core.prompts import repair as words
from pytest_trace_opt.core.prompts.repair import CodeShown
from pytest_trace_opt.llm.errors import LLMError
from pytest_trace_opt.replies import ParsedReply, VariableSpec, parse_reply

import_optimizers()  # silences opto's banner and its network fetch of the cost map

from opto.optimizers.optimizer import Optimizer  # noqa: E402

_PYTHON_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.S)


def value_from_reply(text: str, name: str) -> tuple[bool, Any]:
    """``NAME = <literal>`` from the reply's python blocks (else the whole block as a
    literal). Returns (found, value)."""
    blocks = _PYTHON_FENCE.findall(text) or [text]
    for block in reversed(blocks):
        try:
            tree = ast.parse(block.strip())
        except SyntaxError:
            continue
        for stmt in reversed(tree.body):
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                named = [t for t in targets if isinstance(t, ast.Name) and t.id == name]
                if named and stmt.value is not None:
                    try:
                        return True, ast.literal_eval(stmt.value)
                    except ValueError:
                        continue
        if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
            try:
                return True, ast.literal_eval(tree.body[0].value)
            except ValueError:
                continue
    return False, None


# A reply is the corrected definition: about as long as the code shown, plus a helper or a
# sentence. A small model that starts repeating itself is cut here, not at the call's limit.
REPLY_TOKENS_BASE = 256
CHARS_PER_REPLY_TOKEN = 2  # code runs about 3-4 characters a token: room for twice the code


def reply_limit(codes: Sequence[CodeShown], limit: int) -> int:
    """Completion tokens for one reply: room for the code shown twice over, at most ``limit``."""
    shown = sum(len(c.text) for c in codes)
    return max(16, min(limit, REPLY_TOKENS_BASE + shown // CHARS_PER_REPLY_TOKEN))


class Repair(Optimizer):  # type: ignore[misc]
    """See the module docstring. The engine sets, before each ``propose``:
    ``variable_specs`` (how each parameter's value is read back), ``shown`` (how each
    parameter is shown: its current text, context and suspicious lines), ``temperature``,
    ``samples``, ``draws``, ``redraw_temperature`` and ``is_new``."""

    def __init__(
        self, parameters: list[Any], llm: Any, *, max_tokens: int = 1024, **kwargs: Any
    ) -> None:
        super().__init__(parameters, **kwargs)
        self.llm = llm
        self.max_tokens = max_tokens
        self.variable_specs: dict[str, VariableSpec] = {}
        self.shown: dict[str, CodeShown] = {}
        self.temperature: float | None = None
        self.samples = 1
        self.draws = 1
        self.redraw_temperature = 0.8
        # Whether a draw's update brings something new (set by the engine per request).
        self.is_new: Callable[[dict[Any, Any]], bool] = bool
        self.json_mode = False  # the reply is a python block, never JSON
        self.lenient_parsing = True
        self.last_prompt = ""
        self.last_response = ""
        self.last_parsed: ParsedReply | None = None
        self.last_samples: list[tuple[str, ParsedReply]] = []

    # -- what the graph says ---------------------------------------------------------------
    def _feedback(self) -> tuple[list[Any], str]:
        """The parameters that received feedback, and that feedback (one text per round)."""
        reached: list[Any] = []
        texts: list[str] = []
        for param in self.parameters:
            if not param.trainable or not param.feedback:
                continue
            graph = self.propagator.aggregate(param.feedback)
            text = getattr(graph, "user_feedback", None)
            if text is None:
                continue
            reached.append(param)
            if str(text) not in texts:
                texts.append(str(text))
        return reached, "\n".join(texts)

    # -- one request, several samples ------------------------------------------------------
    def _step(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        samples = self.propose_samples()
        return samples[0] if samples else {}

    def propose_samples(self) -> list[dict[Any, Any]]:
        """One update per draw. Draws go on until ``samples`` of them brought something new
        (``is_new``, set by the engine) or ``draws`` were made: a reply that gives the code
        back unchanged, or repeats an attempt already rejected, is replaced by another
        sample of the same prompt, warmer, instead of costing a round."""
        reached, feedback = self._feedback()
        codes = [self.shown[p.py_name] for p in reached if p.py_name in self.shown]
        if not codes:
            return []
        messages = [
            {"role": "system", "content": words.SYSTEM},
            {"role": "user", "content": words.user_prompt(codes, feedback)},
        ]
        self.last_prompt = messages[0]["content"] + "\n\n" + messages[1]["content"]
        max_tokens = reply_limit(codes, self.max_tokens)
        by_name = {p.py_name: p for p in reached}
        wanted, new, updates, self.last_samples = max(1, self.samples), 0, [], []
        for draw in range(max(wanted, self.draws)):
            try:
                text = self._ask(messages, draw, max_tokens)
            except LLMError:
                if draw == 0:
                    raise
                break  # keep the draws made; the next request meets the same error
            parsed = self.parse(text, reached)
            update = {by_name[k]: v for k, v in parsed.suggestion.items() if k in by_name}
            self.last_samples.append((text, parsed))
            updates.append(update)
            new += int(self.is_new(update))
            if new >= wanted:
                break
        self.last_response = "\n\n---\n\n".join(text for text, _ in self.last_samples)
        self.last_parsed = self.last_samples[0][1] if self.last_samples else None
        return updates

    def _ask(self, messages: list[dict[str, str]], draw: int, max_tokens: int) -> str:
        kwargs: dict[str, Any] = {"max_tokens": max_tokens}
        temperature = self.temperature if draw == 0 else self.redraw_temperature
        if temperature is not None:
            kwargs["temperature"] = temperature
        if draw:
            kwargs["first_sample"] = draw  # the same prompt again: part of the same call
        try:
            response = self.llm(messages=messages, **kwargs)
        except TypeError:  # a duck-typed LLM that takes only what trace-opt passes
            response = self.llm(messages=messages, max_tokens=max_tokens)
        choices = response.choices or []
        return (choices[0].message.content or "") if choices else ""

    def parse(self, text: str, params: Sequence[Any]) -> ParsedReply:
        """The code of each function from the reply's python block(s), the literal of each
        value; what could not be read is said in ``problems``."""
        text = words.strip_marks(text)
        specs = [self.variable_specs[p.py_name] for p in params if p.py_name in self.variable_specs]
        code_specs = [s for s in specs if s.kind == "code"]
        parsed = parse_reply(text, code_specs) if code_specs else ParsedReply({}, False, (), False)
        suggestion = dict(parsed.suggestion)
        problems = [p for p in parsed.problems if "JSON" not in p and "not JSON" not in p]
        value_specs = [s for s in specs if s.kind == "value"]
        # A small model sometimes answers in JSON anyway: its suggestion for a value counts.
        as_json = parse_reply(text, value_specs).suggestion if value_specs else {}
        for spec in value_specs:
            if spec.py_name in as_json:  # keyed by the variable's own name: unambiguous
                suggestion[spec.py_name] = as_json[spec.py_name]
                continue
            shown = self.shown.get(spec.py_name)
            found, value = value_from_reply(text, shown.name if shown else spec.py_name)
            if found:
                suggestion[spec.py_name] = value
            else:
                problems.append(f"no new value of {spec.py_name} in the reply")
        return ParsedReply(suggestion, False, tuple(problems), parsed.recovered)
