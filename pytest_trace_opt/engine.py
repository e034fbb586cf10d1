"""Drive a Trace optimizer from test results (controller side; imports opto lazily).

Children send back, per failing test, the calls it made to trainables (bounded reprs
of arguments, outputs, exceptions). Here those become real Trace nodes: the
controller's own ParameterNodes (one per trainable), input nodes, and one
MessageNode per recorded call, so OptoPrime sees the same #Code / #Inputs / #Outputs
picture as if the calls had been traced in this process, without running them here.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Sequence
from typing import Any

from pytest_trace_opt.feedback import clip
from pytest_trace_opt.model import Proposal, TestResult
from pytest_trace_opt.protocol import TargetInfo
from pytest_trace_opt.replies import (
    UNCHANGED,
    ParsedReply,
    VariableSpec,
    check_code,
    check_value,
    keep_docstring,
    parse_reply,
    strip_trailing_strings,
)
from pytest_trace_opt.settings import MAX_CALLS_PER_TEST

MAX_FEEDBACK_CHARS = 4000
MAX_TESTS_IN_GRAPH = 4
MAX_SUGGESTION_CHARS = 50_000  # no plausible edit of one function or value is larger

# OptoPrime's objective, made concrete: the feedback comes from tests.
OBJECTIVE = (
    "You need to change the <value> of the variables in #Variables so that the failing tests "
    "described in #Feedback pass, and the passing ones keep passing. Fix the root cause for every "
    "input of the kind shown; do not special-case the inputs that appear in the tests."
)


def import_optimizers() -> Any:
    """``opto.optimizers`` without its side effects on the terminal and network."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    with contextlib.redirect_stdout(io.StringIO()):  # opto.utils.llm prints a banner
        import opto.optimizers as optimizers
    return optimizers


class ReprValue:
    """A value as the child rendered it; its class name is the original type's name."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReprValue) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


_REPR_TYPES: dict[str, type] = {}


def repr_value(text: str, type_name: str) -> ReprValue:
    name = type_name if type_name.isidentifier() else "object"
    cls = _REPR_TYPES.get(name)
    if cls is None:
        cls = _REPR_TYPES[name] = type(name, (ReprValue,), {"__slots__": ()})
    return cls(text)  # type: ignore[no-any-return]


def _identifier(text: str) -> str:
    name = re.sub(r"\W+", "_", text).strip("_") or "value"
    return name if not name[0].isdigit() else f"v_{name}"


class _LenientSteps:
    """Mixed into OptoPrime-family optimizers: our prompt hints and reply parsing."""

    temperature: float | None = None
    json_mode: bool = False
    lenient_parsing: bool = True
    variable_specs: dict[str, VariableSpec]
    last_parsed: ParsedReply | None = None
    last_prompt: str = ""
    last_response: str = ""

    def _step(self, verbose: bool = False, mask: Any = None, *args: Any, **kwargs: Any) -> Any:
        summary = self.summarize()  # type: ignore[attr-defined]
        system_prompt, user_prompt = self.construct_prompt(summary, mask=mask)  # type: ignore[attr-defined]
        system_prompt = self.replace_symbols(system_prompt, self.prompt_symbols)  # type: ignore[attr-defined]
        user_prompt = self.replace_symbols(user_prompt, self.prompt_symbols)  # type: ignore[attr-defined]
        names = [n for n in summary.variables if n in self.variable_specs]
        hints = []
        for name in names:
            spec = self.variable_specs[name]
            if spec.kind == "code":
                hints.append(f"{name} (the complete new definition of {spec.function_name})")
            else:
                hints.append(f"{name} (a new {getattr(spec.value_type, '__name__', 'value')})")
        # trace-opt leaves its format braces doubled ("{{"): show the JSON shape as JSON.
        system_prompt = system_prompt.replace("{{", "{").replace("}}", "}")
        # Tests fail, so a change is needed: small models take this exit far too often.
        system_prompt = system_prompt.replace(
            "If no changes or answer are needed, just output TERMINATE.", ""
        )
        if hints:
            hint = (
                '\nThe keys of "suggestion" must be exactly: ' + "; ".join(hints) + ". "
                "Never suggest values for #Inputs or #Outputs."
            )
            if self.lenient_parsing and any(self.variable_specs[n].kind == "code" for n in names):
                hint += (
                    " If escaping the code inside JSON is hard, write the complete function "
                    "in a ```python block right after the JSON instead."
                )
            final = getattr(self, "final_prompt", "")
            head, sep, tail = (
                user_prompt.rpartition(final.strip()) if final.strip() else ("", "", "")
            )
            if sep:
                user_prompt = head + hint.strip() + "\n\n" + sep + tail
            else:
                user_prompt += hint + "\n"
        self.last_prompt = system_prompt + user_prompt
        response = self.call_llm(system_prompt, user_prompt, verbose, self.max_tokens)  # type: ignore[attr-defined]
        self.last_response = response
        if self.lenient_parsing:
            parsed = parse_reply(response, list(self.variable_specs.values()))
        else:
            parsed = self._stock_parse(response)
        self.last_parsed = parsed
        by_name = {p.py_name: p for p in self.parameters}  # type: ignore[attr-defined]
        return {by_name[k]: v for k, v in parsed.suggestion.items() if k in by_name}

    def _stock_parse(self, response: str) -> ParsedReply:
        """trace-opt's own extraction, for measuring what the lenient parser adds."""
        suggestion = dict(self.extract_llm_suggestion(response) or {})  # type: ignore[attr-defined]
        suggestion = {k: v for k, v in suggestion.items() if k in self.variable_specs}
        problems = () if suggestion else ("the stock parser found no suggestion in the reply",)
        terminated = not suggestion and "TERMINATE" in response
        return ParsedReply(suggestion, terminated, problems, recovered=False)

    def call_llm(
        self,
        system_prompt: str,
        user_prompt: str,
        verbose: Any = False,
        max_tokens: int = 4096,
    ) -> str:
        messages = [
            {"role": "system", "content": system_prompt},
            {"role": "user", "content": user_prompt},
        ]
        kwargs: dict[str, Any] = {"max_tokens": max_tokens}
        if self.json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        llm = self.llm  # type: ignore[attr-defined]
        try:
            response = llm(messages=messages, **kwargs)
        except TypeError:
            # A duck-typed LLM that takes only what trace-opt passes.
            kwargs.pop("temperature", None)
            response = llm(messages=messages, **kwargs)
        content = response.choices[0].message.content
        return content or ""


def make_optimizer(name: str, parameters: list[Any], llm: Any, max_tokens: int) -> Any:
    optimizers = import_optimizers()
    if name == "TextGrad":
        return optimizers.TextGrad(parameters, llm=llm, max_tokens=max_tokens)
    base = {"OptoPrime": optimizers.OptoPrime, "OPRO": optimizers.OPRO}.get(name)
    if name == "OptoPrimeMulti":
        from opto.optimizers.optoprimemulti import OptoPrimeMulti

        # Its temperature_range argument is broken in trace-opt 0.1.3.8: not passed.
        cls = type("LenientOptoPrimeMulti", (OptoPrimeMulti,), {})
        cls.extract_llm_suggestion = _multi_extract  # type: ignore[attr-defined]
        return cls(parameters, llm=llm, max_tokens=max_tokens)
    if base is None:
        raise ValueError(f"unknown optimizer {name!r}")
    cls = type(f"Lenient{base.__name__}", (_LenientSteps, base), {})
    return cls(parameters, llm=llm, max_tokens=max_tokens, objective=OBJECTIVE)


def _multi_extract(self: Any, response: str) -> dict[str, Any]:
    parsed = parse_reply(response, list(self.variable_specs.values()))
    return dict(parsed.suggestion)


class TraceEngine:
    """Owns the controller's ParameterNodes and the optimizer across rounds."""

    def __init__(
        self,
        targets: dict[str, TargetInfo],
        llm: Any,
        *,
        optimizer: str = "OptoPrime",
        max_tokens: int = 1024,
        json_mode: bool = False,
        lenient_parsing: bool = True,
    ) -> None:
        import_optimizers()
        from opto.trace.nodes import ParameterNode

        self.targets = targets
        self.params: dict[str, Any] = {}
        for key, info in targets.items():
            if info.kind == "code":
                header = _def_header(info.original)
                self.params[key] = ParameterNode(
                    info.original,
                    name="__code",
                    description=f"[ParameterNode] The code of {info.name}() "
                    f"in {info.file}. {info.description}".strip(),
                    constraint=f"The code should start with:\n{header}",
                )
            else:
                self.params[key] = ParameterNode(
                    info.original,
                    name=_identifier(info.name),
                    description=f"[ParameterNode] {info.description or info.name}",
                )
        self.optimizer = make_optimizer(optimizer, list(self.params.values()), llm, max_tokens)
        self.optimizer.json_mode = json_mode
        self.optimizer.lenient_parsing = lenient_parsing
        self.optimizer.variable_specs = self._specs()

    def _specs(self) -> dict[str, VariableSpec]:
        specs = {}
        for key, param in self.params.items():
            info = self.targets[key]
            if info.kind == "code":
                specs[param.py_name] = VariableSpec(
                    param.py_name, "code", function_name=info.function_name
                )
            else:
                specs[param.py_name] = VariableSpec(
                    param.py_name, "value", value_type=type(info.original)
                )
        return specs

    def key_of(self, py_name: str) -> str | None:
        for key, param in self.params.items():
            if param.py_name == py_name:
                return key
        return None

    def _reset_graph(self) -> None:
        from opto.trace.nodes import GRAPH

        # GRAPH.clear() alone frees nothing and would let names collide: re-register.
        GRAPH.clear()
        for param in self.params.values():
            param._children.clear()
            param.zero_feedback()
            GRAPH.register(param)
        self.optimizer.variable_specs = self._specs()

    def propose(
        self,
        current: dict[str, Any],
        failing: Sequence[TestResult],
        feedback: str,
        temperature: float | None,
    ) -> Proposal:
        self._reset_graph()
        for key, param in self.params.items():
            param._data = current.get(key, self.targets[key].original)
        outputs = self._rebuild(failing)
        self.optimizer.zero_feedback()
        for output in outputs:
            self.optimizer.backward(output, feedback, retain_graph=True)
        self.optimizer.temperature = temperature
        update = self.optimizer.propose()
        proposal = Proposal(
            response=getattr(self.optimizer, "last_response", ""),
            prompt=getattr(self.optimizer, "last_prompt", ""),
        )
        parsed = getattr(self.optimizer, "last_parsed", None)
        if parsed is not None:
            proposal.notes += list(parsed.problems)
            proposal.terminated = parsed.terminated
        for param, raw in update.items():
            found = self.key_of(param.py_name)
            if found is None:
                continue
            key = found
            info = self.targets[key]
            if len(str(raw)) > MAX_SUGGESTION_CHARS:
                proposal.notes.append(
                    f"{info.name}: suggestion of {len(str(raw))} characters ignored "
                    f"(more than {MAX_SUGGESTION_CHARS})"
                )
                continue
            now = current.get(key, info.original)
            function_name = info.function_name or ""
            if info.kind == "code":
                check = check_code(str(raw), now, function_name, is_method=info.is_method)
            else:
                check = check_value(raw, now)
            if check.ok:
                value = check.value
                if info.kind == "code":
                    value = strip_trailing_strings(str(value), function_name)
                    value = keep_docstring(value, info.original, function_name)
                    if value.strip() == str(now).strip():
                        proposal.notes.append(f"{info.name}: {UNCHANGED}")
                        proposal.unchanged.append(info.name)
                        continue
                proposal.values[key] = value
            else:
                proposal.notes.append(f"{info.name}: {check.reason}")
                if check.reason == UNCHANGED:
                    proposal.unchanged.append(info.name)
        return proposal

    def _rebuild(self, failing: Sequence[TestResult]) -> list[Any]:
        from opto.trace.nodes import MessageNode, node

        outputs: list[Any] = []
        for result in list(failing)[:MAX_TESTS_IN_GRAPH]:
            keys = [k for k in result.targets if k in self.params]
            values = {
                _identifier(self.targets[k].name): self.params[k]
                for k in keys
                if self.targets[k].kind == "value"
            }
            calls = [c for c in result.calls if c.key in self.params or values]
            for call in calls[:MAX_CALLS_PER_TEST]:
                inputs: dict[str, Any] = {}
                for arg, text in call.args.items():
                    type_name = call.types.get(arg, "object")
                    inputs[arg] = node(repr_value(text, type_name), name=_identifier(arg))
                info = self.targets.get(call.key)
                if info is not None and info.kind == "code":
                    inputs["__code"] = self.params[call.key]
                inputs.update(values)
                if call.exception:
                    value = repr_value(f"raised {call.exception}", "exception")
                else:
                    value = repr_value(call.output or "None", call.types.get("return", "object"))
                name = _identifier(call.function.split(".")[-1])
                doc = info.description if info is not None else ""
                outputs.append(
                    MessageNode(
                        value,
                        inputs=inputs,
                        description=f"[{name}] {doc}".strip(),
                        name=name,
                        info={"fun_name": name},
                    )
                )
            if not calls and keys:
                outputs.append(self._test_node(result, [self.params[k] for k in keys]))
        if not outputs:
            # No recorded call reached a trainable: let the feedback reach every one.
            outputs.append(self._test_node(None, list(self.params.values())))
        return outputs

    def _test_node(self, result: TestResult | None, params: list[Any]) -> Any:
        from opto.trace.nodes import MessageNode

        outcome = result.outcome if result is not None else "failed"
        inputs = {p.py_name: p for p in params}
        return MessageNode(
            repr_value(f"test {outcome}", "str"),
            inputs=inputs,
            description="[run_tests] Runs the tests with the variables.",
            name="run_tests",
            info={"fun_name": "run_tests"},
        )


def _def_header(source: str) -> str:
    lines = []
    for line in source.splitlines():
        lines.append(line)
        if line.rstrip().endswith(":") and not line.lstrip().startswith("@"):
            break
    return "\n".join(lines)


def compose_feedback(
    failing: Sequence[TestResult],
    visible_total: int,
    critiques: Sequence[str] = (),
    scores: Sequence[float] = (),
    notes: Sequence[str] = (),
    *,
    detailed: bool = True,
) -> str:
    """One feedback text for the whole round: failures smallest first, deduplicated.

    ``detailed=False`` is the plain text a hand-written loop would pass (one pytest-style
    ``FAILED`` line per test), kept to measure what the detail is worth.
    """
    if not detailed:
        plain = [f"{len(failing)} of {visible_total} tests fail."]
        plain += [f"FAILED {r.nodeid} - {_first_error_line(r)}" for r in failing]
        return "\n".join([*plain, *notes])
    lines = [
        f"{len(failing)} of {visible_total} tests fail. Change the variables so that all "
        "tests pass for any input of the kind shown, without special-casing test inputs."
    ]
    seen: set[str] = set()
    budget = MAX_FEEDBACK_CHARS
    for result in sorted(failing, key=lambda r: len(r.feedback_text())):
        text = result.feedback_text().strip()
        signature = text.split("\n", 1)[-1]
        if signature in seen:
            continue
        seen.add(signature)
        if len(text) > budget:
            lines.append(f"... and {len(failing) - len(seen) + 1} more failing tests")
            break
        budget -= len(text)
        lines.append(text)
    if critiques:
        lines.append("Critiques: " + " | ".join(dict.fromkeys(critiques)))
    if scores:
        mean = sum(scores) / len(scores)
        lines.append(f"Mean score {mean:.3g} (higher is better; 1 is the best).")
    lines += list(notes)
    return "\n".join(lines)


def _first_error_line(result: TestResult) -> str:
    text = result.feedback_text()
    for line in text.splitlines():
        if line.startswith("E "):
            return clip(line[2:].strip(), 200)
    return result.outcome
