"""Trace's own optimizers, adapted: our prompt hints and lenient reply parsing.

OptoPrime and OPRO get :class:`LenientSteps` mixed in (trace-opt drops what its parser
cannot read, silently); OptoPrimeMulti gets the lenient extraction; TextGrad runs as shipped.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from pytest_trace_opt.core import prompts
from pytest_trace_opt.replies import ParsedReply, VariableSpec, parse_reply


class _MutedForThisThread:
    """sys.stdout that drops what one thread writes and passes the rest on: the import runs
    in a background thread while the main thread goes on printing."""

    def __init__(self, original: Any) -> None:
        self._original = original
        self._muted = threading.get_ident()
        self.active = True  # a wrapper left in place by a nested swap passes everything on

    def write(self, text: str) -> int:
        if self.active and threading.get_ident() == self._muted:
            return len(text)
        return int(self._original.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def import_optimizers() -> Any:
    """``opto.optimizers`` without its side effects on the terminal and network."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    muted = _MutedForThisThread(sys.stdout)
    sys.stdout = muted  # opto.utils.llm prints a banner at import
    try:
        import opto.optimizers as optimizers
    finally:
        muted.active = False
        if sys.stdout is muted:  # someone else may have replaced it meanwhile: leave theirs
            sys.stdout = muted._original
    return optimizers


class LenientSteps:
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
                hints.append(prompts.code_key_hint(name, spec.function_name))
            else:
                type_name = getattr(spec.value_type, "__name__", "value")
                hints.append(prompts.value_key_hint(name, type_name))
        # trace-opt leaves its format braces doubled ("{{"): show the JSON shape as JSON.
        system_prompt = system_prompt.replace("{{", "{").replace("}}", "}")
        # Tests fail, so a change is needed: small models take this exit far too often.
        system_prompt = system_prompt.replace(
            "If no changes or answer are needed, just output TERMINATE.", ""
        )
        if hints:
            code_block = self.lenient_parsing and any(
                self.variable_specs[n].kind == "code" for n in names
            )
            hint = prompts.suggestion_keys_hint(hints, code_block=code_block)
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
    if name == "Repair":
        from pytest_trace_opt.core.repair import Repair

        return Repair(parameters, llm, max_tokens=max_tokens)
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
    cls = type(f"Lenient{base.__name__}", (LenientSteps, base), {})
    return cls(parameters, llm=llm, max_tokens=max_tokens, objective=prompts.OBJECTIVE)


def _multi_extract(self: Any, response: str) -> dict[str, Any]:
    parsed = parse_reply(response, list(self.variable_specs.values()))
    return dict(parsed.suggestion)
