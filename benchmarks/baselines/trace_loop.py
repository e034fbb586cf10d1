"""Baseline 2: a hand-written Trace loop, as the Trace README teaches it.

What a user who read the Trace README (and not this plugin) would write to let Trace fix
a function against a pytest suite:

* import the module under repair (from the case copy) and make its trainable definitions
  Trace parameters: ``bundle(trainable=True)(fn)`` for a plain function or method (the
  corpus's ``@trainable`` is the plain function outside the plugin), the bundle's
  parameter for an existing ``@bundle(trainable=True)``; for a ``@model`` class its
  ``instance.parameters()``; for ``node(value, trainable=True)`` the node itself;
* ``OptoPrime(params, llm=client)`` (stock OptoPrime: its own prompt and its own reply
  parsing; the client is the same LLM client every system of the benchmark gets);
* per step: write the current parameter values into the module file (code replaces the
  definition, decorators kept; a node's value is written as a literal), run the visible
  tests with plain pytest in a subprocess, feedback = "k of n visible tests pass" plus the
  ``FAILED test - message`` lines of pytest's short summary, then
  ``optimizer.zero_feedback(); optimizer.backward(param, feedback); optimizer.step()``;
* at most ``budget`` steps (and the client refuses calls past ``budget``); the LAST
  candidate stays in the files, as a user following the README would keep it (there is no
  acceptance test, no holdout, no best-so-far).

The tests run in subprocesses, so the traced graph is just the parameter(s): the code
under test is not executed inside Trace (a test suite is not a Python expression), so the
output handed to ``backward`` is the parameter node itself. Holdout tests are never run
or shown here; the harness judges the final files.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

from .common import render, run_tests, summary_lines, test_kinds, trainable_modules

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def _param_for(mod: Any, qualname: str, kind: str):
    from opto.trace import bundle

    if kind == "value":
        return getattr(mod, qualname)  # the node(..., trainable=True) itself
    owner_name, _, fn_name = qualname.rpartition(".")
    owner = getattr(mod, owner_name) if owner_name else mod
    fn = getattr(owner, fn_name)
    if hasattr(fn, "parameter") and getattr(fn, "parameter", None) is not None:
        if owner_name and hasattr(owner, "parameters"):  # @model class: instance.parameters()
            try:
                for p in owner().parameters():
                    if f"def {fn_name}(" in str(p.data):
                        return p
            except Exception:  # noqa: BLE001 - constructor needs arguments: use the bundle
                pass
        return fn.parameter  # an existing @bundle(trainable=True)
    return bundle(trainable=True)(fn).parameter


def _value_text(param: Any, kind: str) -> str:
    return str(param.data) if kind == "code" else repr(param.data)


def run(case_dir: Path, llm: Any, budget: int, log=print) -> dict[str, Any]:
    from opto.optimizers import OptoPrime

    case_dir = Path(case_dir)
    started = time.monotonic()
    modules = trainable_modules(case_dir)
    originals = {m: m.read_text() for m in modules}
    visible = [i for i, k in test_kinds(case_dir).items() if k == "visible"]
    notes: list[str] = []

    saved_path, saved_modules = list(sys.path), set(sys.modules)
    sys.path.insert(0, str(case_dir))
    params: list[tuple[Any, Path, Any]] = []  # (parameter node, module file, Target)
    try:
        for path, targets in modules.items():
            mod = importlib.import_module(path.stem)
            for t in targets:
                params.append((_param_for(mod, t.qualname, t.kind), path, t))
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:  # forget the case's own modules
            if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(case_dir)):
                sys.modules.pop(name, None)

    optimizer = OptoPrime([p for p, _, _ in params], llm=llm)

    def write_candidate() -> None:
        for path, targets in modules.items():
            new = {t.qualname: _value_text(p, t.kind) for p, m, t in params if m == path}
            path.write_text(render(originals[path], targets, new))

    history: list[int] = []
    steps = 0
    run_ = run_tests(case_dir, visible)
    history.append(run_.passed(visible))
    while steps < budget and run_.passed(visible) < len(visible):
        lines = summary_lines(run_.output) or ["(pytest reported no failure lines)"]
        if run_.status is None:
            lines.append("the test run timed out")
        feedback = (
            f"{run_.passed(visible)} of {len(visible)} tests pass. Failing tests:\n"
            + "\n".join(lines)
        )
        steps += 1
        optimizer.zero_feedback()
        for p, _, _ in params:
            optimizer.backward(p, feedback)
        before = [_value_text(p, t.kind) for p, _, t in params]
        try:
            optimizer.step()
        except Exception as e:  # noqa: BLE001 - budget spent, LLM down: stop like a user would
            notes.append(f"step {steps}: {type(e).__name__}: {str(e)[:200]}")
            break
        after = [_value_text(p, t.kind) for p, _, t in params]
        if after == before:
            log_ = getattr(optimizer, "log", None) or [{}]
            reply = str(log_[-1].get("response", ""))[:300] if isinstance(log_[-1], dict) else ""
            notes.append(
                f"step {steps}: OptoPrime made no update (reply not parsed or unchanged); "
                f"reply starts: {reply!r}"
            )
        write_candidate()
        run_ = run_tests(case_dir, visible)
        history.append(run_.passed(visible))
        log(f"  trace_loop step {steps}: {history[-1]}/{len(visible)} visible")
    return {
        "steps": steps,
        "visible_history": history,
        "visible_total": len(visible),
        "notes": notes,
        "seconds": time.monotonic() - started,
    }
