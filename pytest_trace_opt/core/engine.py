"""Drive a Trace optimizer from test results (controller side; imports opto lazily).

Children send back, per failing test, the calls it made to trainables (bounded reprs
of arguments, outputs, exceptions). Here those become real Trace nodes: the
controller's own ParameterNodes (one per trainable), input nodes, and one
MessageNode per recorded call, so OptoPrime sees the same #Code / #Inputs / #Outputs
picture as if the calls had been traced in this process, without running them here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pytest_trace_opt.core import infill as fim
from pytest_trace_opt.core.context import code_context, shared_context, value_context
from pytest_trace_opt.core.localize import suspicious_lines
from pytest_trace_opt.core.optoprime import import_optimizers, make_optimizer
from pytest_trace_opt.core.prompts.repair import CodeShown
from pytest_trace_opt.llm.errors import LLMError, LLMUnavailable
from pytest_trace_opt.llm.local_backend import FIM_PREFIX, FIM_SUFFIX
from pytest_trace_opt.model import FilledIn, Proposal, ProposalRequest, TestResult
from pytest_trace_opt.patch import SourceError, locate_function_at, splice_function
from pytest_trace_opt.protocol import TargetInfo
from pytest_trace_opt.replies import (
    UNCHANGED,
    VariableSpec,
    check_code,
    check_value,
    keep_docstring,
    strip_trailing_strings,
)
from pytest_trace_opt.text import clip

MAX_FEEDBACK_CHARS = 4000
MAX_TESTS_IN_GRAPH = 4
MAX_SUGGESTION_CHARS = 50_000  # no plausible edit of one function or value is larger


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
        read_source: Callable[[str], str | None] | None = None,
        module_context: bool = True,
        localization: bool = True,
    ) -> None:
        import_optimizers()
        self.read_source = read_source  # module text by relpath, for Repair's context
        self.module_context = module_context  # off: Repair shows the code alone
        self.localization = localization  # off: Repair marks no suspicious line
        self._modules: dict[str, str | None] = {}  # read once: patches are built against it
        self._contexts: dict[str, str] = {}
        self._shared: dict[str, str] = {}  # relpath -> the context its trainables share
        from opto.trace.nodes import ParameterNode

        self.targets = targets
        self.llm = llm
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
        self.cannot_infill = False  # the model said it cannot fill a hole

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

    @property
    def batch_samples(self) -> bool:
        """Several samples of one prompt come from one request (Repair)."""
        return hasattr(self.optimizer, "propose_samples")

    @property
    def cheap_samples(self) -> bool:
        """Later samples of one prompt cost only their completion and no new call (Repair
        with the in-process model, which evaluates the prompt once)."""
        return self.batch_samples and bool(getattr(self.llm, "shares_prompt", False))

    def _novelty(self, request: ProposalRequest) -> Callable[[dict[Any, Any]], bool]:
        """Whether a draw's update is worth an evaluation: it passes the checks, changes
        something and is neither an attempt already rejected nor one drawn before."""
        seen: list[dict[str, Any]] = []

        def is_new(update: dict[Any, Any]) -> bool:
            probe = Proposal()
            self._check(update, request.current, probe)
            if not probe.values or probe.values in request.tried or probe.values in seen:
                return False
            seen.append(probe.values)
            return True

        return is_new

    def propose(self, request: ProposalRequest) -> list[Proposal]:
        """Proposals for ``request``: one per sample drawn (one unless the optimizer
        draws several from one request)."""
        self._reset_graph()
        for key, param in self.params.items():
            param._data = request.current.get(key, self.targets[key].original)
        outputs = self._rebuild(request.failing)
        self.optimizer.zero_feedback()
        for output in outputs:
            self.optimizer.backward(output, request.feedback, retain_graph=True)
        self.optimizer.temperature = request.temperature
        if self.batch_samples:
            self.optimizer.shown = self._shown(request)
            self.optimizer.samples = request.samples
            self.optimizer.draws = request.draws
            self.optimizer.redraw_temperature = request.redraw_temperature
            self.optimizer.is_new = self._novelty(request)
            updates = self.optimizer.propose_samples()
            replies = getattr(self.optimizer, "last_samples", [])
        else:
            updates = [self.optimizer.propose()]
            response = getattr(self.optimizer, "last_response", "")
            replies = [(response, getattr(self.optimizer, "last_parsed", None))]
        prompt = getattr(self.optimizer, "last_prompt", "")
        if not updates:
            return [Proposal(notes=["no trainable received feedback"], prompt=prompt)]
        proposals = []
        for update, (response, parsed) in zip(updates, replies, strict=False):
            proposal = Proposal(response=response, prompt=prompt)
            if parsed is not None:
                proposal.notes += list(parsed.problems)
                proposal.terminated = parsed.terminated
            self._check(update, request.current, proposal)
            proposals.append(proposal)
        return proposals

    def infill_ready(self, calls_after: int = 1) -> bool:
        """Whether a call may fill in a suspicious statement: the model can fill a hole and
        ``calls_after`` more calls are left after it (the first fill-in keeps one for a
        whole reply)."""
        if self.cannot_infill or not getattr(self.llm, "can_infill", False):
            return False
        budget, stats = getattr(self.llm, "budget", None), getattr(self.llm, "stats", None)
        max_calls = getattr(budget, "max_calls", None)
        return max_calls is None or max_calls - getattr(stats, "calls", 0) >= 1 + calls_after

    def infill(self, request: ProposalRequest) -> FilledIn | None:
        """Candidates that fill in the most suspicious statement of the code trainable most
        failing tests reached (:mod:`.infill`), one per sample of one prompt; None when
        there is no statement to fill or the model cannot (the round asks as usual)."""
        reached = {
            key: sum(key in r.lines for r in request.failing)
            for key, info in self.targets.items()
            if info.kind == "code" and info.function_name
        }
        key = max(reached, key=lambda k: reached[k], default=None)
        if key is None or not reached[key]:
            return None
        info = self.targets[key]
        source = str(request.current.get(key, info.original))
        module = self._module(info.file)
        filled = [text for k, text in request.filled if k == key]
        hole = fim.pick_hole(key, source, info.line, request.failing, request.passing, filled)
        if hole is None or not module:
            return None
        hints = fim.call_hints(info.function_name or "", request.failing, request.passing)
        prompt = fim.prompt_parts(module, info.line, source, hole, hints)
        if prompt is None:
            return None
        messages = [
            {"role": FIM_PREFIX, "content": prompt.prefix},
            {"role": FIM_SUFFIX, "content": prompt.suffix},
        ]
        shown = f"{prompt.prefix}<fill in: {hole.text.strip()}>{prompt.suffix}"
        proposals: list[Proposal] = []
        seen: list[dict[str, Any]] = []
        where = f"line {info.line + hole.first - 1} of {info.name}"
        for sample, temperature in enumerate(fim.TEMPERATURES):
            try:
                reply = self.llm(
                    messages=messages,
                    max_tokens=fim.MAX_TOKENS,
                    temperature=temperature,
                    first_sample=sample,
                )
            except LLMUnavailable:
                if sample:
                    break
                self.cannot_infill = True  # the model has no infill: whole replies from now
                return None
            except LLMError:
                if sample == 0:
                    raise
                break  # keep the samples drawn; the next request meets the same error
            text = (reply.choices[0].message.content or "") if reply.choices else ""
            proposal = Proposal(response=text, prompt=shown)
            proposal.notes.append(f"filled in {where}: `{clip(' '.join(text.split()), 80)}`")
            new_source = fim.filled(source, hole, text, prompt.indent)
            if new_source is None:
                proposal.notes.append(f"{info.name}: {UNCHANGED}")
                proposal.unchanged.append(info.name)
            else:
                self._check({self.params[key]: new_source}, request.current, proposal)
            if proposal.values in seen or proposal.values in request.tried:
                proposal.values = {}
            elif proposal.values:
                seen.append(proposal.values)
            proposals.append(proposal)
        return FilledIn(proposals, (key, hole.text), where)

    def _check(self, update: dict[Any, Any], current: dict[str, Any], proposal: Proposal) -> None:
        """Keep the suggested values that pass the checks; say why the others do not."""
        for param, raw in update.items():
            key = self.key_of(param.py_name)
            if key is None:
                continue
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
                check = check_code(str(raw), now, function_name, is_method=info.in_class)
            else:
                check = check_value(raw, now)
            if not check.ok:
                proposal.notes.append(f"{info.name}: {check.reason}")
                if check.reason == UNCHANGED:
                    proposal.unchanged.append(info.name)
                continue
            value = check.value
            if info.kind == "code":
                value = strip_trailing_strings(str(value), function_name)
                value = keep_docstring(value, info.original, function_name)
                if value.strip() == str(now).strip():
                    proposal.notes.append(f"{info.name}: {UNCHANGED}")
                    proposal.unchanged.append(info.name)
                    continue
                unwritable = self._unwritable(info, value)
                if unwritable:
                    proposal.notes.append(f"{info.name}: {unwritable}")
                    continue
            proposal.values[key] = value

    def _module(self, relpath: str) -> str | None:
        if relpath not in self._modules:
            self._modules[relpath] = self.read_source(relpath) if self.read_source else None
        return self._modules[relpath]

    def _unwritable(self, info: TargetInfo, value: str) -> str:
        """Why the patch could not write ``value`` into the function's file ("" when it can,
        or when the function is not found there): a candidate that cannot be written would
        pass its rounds and fail the final check, which runs the files as written."""
        text = self._module(info.file)
        if text is None:
            return ""
        try:
            loc = locate_function_at(Path(info.file), info.function_name or "", info.line, text)
        except SourceError:
            return ""
        try:
            splice_function(text, loc, value, imports=[])
        except SourceError as exc:
            return f"the patch could not write it: {exc}"
        return ""

    def _shown(self, request: ProposalRequest) -> dict[str, CodeShown]:
        """How Repair shows each parameter this round: current text, context, suspicion."""
        shown: dict[str, CodeShown] = {}
        group_keys = frozenset(self.targets[k].name.rsplit(".", 1)[-1] for k in self.targets)
        for key, param in self.params.items():
            info = self.targets[key]
            text = request.current.get(key, info.original)
            if key not in self._contexts:
                module = self._module(info.file) if self.module_context else None
                if not module:
                    self._contexts[key] = ""
                elif shared := self._shared_context(info.file, module):
                    self._contexts[key] = shared  # the prompt shows it once, for all of them
                elif info.kind == "code":
                    self._contexts[key] = code_context(
                        module, info.name, info.line, exclude=group_keys
                    )
                else:
                    self._contexts[key] = value_context(module, info.name, info.line)
            marks = (
                suspicious_lines(key, request.failing, request.passing) if self.localization else []
            )
            shown[param.py_name] = CodeShown(
                name=info.name,
                function_name=info.function_name if info.kind == "code" else None,
                file=info.file,
                line=info.line,
                text=str(text) if info.kind == "code" else repr(text),
                context=self._contexts[key],
                description=info.description if info.kind == "value" else "",
                suspicious=tuple((m.line, m.failing, m.failing_total, m.passing) for m in marks),
            )
        return shown

    def _shared_context(self, relpath: str, module: str) -> str:
        """The module whole once for the several trainables of it this prompt shows ("" for
        one, or a module too large: each then gets the context its code reads)."""
        if relpath not in self._shared:  # one parse per module, not per trainable
            mine = [i for i in self.targets.values() if i.file == relpath]
            shown = [(i.name, i.line, i.kind == "code") for i in mine]
            self._shared[relpath] = shared_context(module, shown) if len(mine) > 1 else ""
        return self._shared[relpath]

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
            for call in calls:  # the child already bounds them per test
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
