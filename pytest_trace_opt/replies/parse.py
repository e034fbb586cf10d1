"""Recover the optimizer's suggestion from an LLM reply, however a small model wrote it.

:func:`parse_reply` finds the reply object (strict JSON, fenced JSON, an object cut out of
the text), maps its keys to the trainable variables, cleans each value, and scans the whole
reply for code it still misses; :attr:`ParsedReply.problems` says how it got what it got.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pytest_trace_opt.replies.clean import clean_code
from pytest_trace_opt.replies.find_code import Fence, Scanner, def_pattern, find_fences
from pytest_trace_opt.replies.jsonish import Found, PartialDict, PartialList, decode_at, objects_in


@dataclass(frozen=True)
class VariableSpec:
    """One trainable variable as the optimizer shows it to the model."""

    py_name: str  # the name the optimizer shows, e.g. "__code0", "greeting_template0"
    kind: Literal["code", "value"]
    function_name: str | None = None  # for code: the def name the code must define
    value_type: type | None = None  # for values: type of the current value


@dataclass(frozen=True)
class ParsedReply:
    """What could be recovered from one reply."""

    suggestion: dict[str, object]  # py_name -> raw suggested value (code as text)
    terminated: bool  # the reply said TERMINATE and had no usable suggestion
    problems: tuple[str, ...]  # short human-readable notes on what was wrong / recovered
    recovered: bool  # True when anything came from a lenient path rather than strict JSON


_SUGGESTION_KEYS = ("suggestion", "suggestions")
_CHATTER_KEYS = frozenset(
    {"reasoning", "answer", "explanation", "analysis", "thoughts", "thought", "reason"}
)
_WRAPPER_KEYS = ("code", "new_code", "fixed_code", "value", "new_value", "suggestion", "source")
_INVENTED_CODE_KEYS = frozenset(
    {
        "code",
        "function",
        "fixed_code",
        "new_code",
        "fixed_function",
        "new_function",
        "corrected_code",
        "updated_code",
        "solution",
        "source",
        "implementation",
        "python",
        "definition",
    }
)
_PYTHON_LANGS = frozenset({"python", "py", "python3", "py3"})


@dataclass
class _Notes:
    items: list[str] = field(default_factory=list)
    lenient: bool = False

    def add(self, message: str, *, lenient: bool = False) -> None:
        if message not in self.items:
            self.items.append(message)
        self.lenient = self.lenient or lenient


def _as_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "\n".join(value)  # code given as a list of lines
    return None


# --------------------------------------------------------------------------------------------
# mapping suggestion keys to variables


def _norm_key(key: str) -> str:
    k = key.strip().strip("`'\" ")
    k = re.sub(r"\A\(\s*\w+\s*\)\s*", "", k)  # "(code) __code0"
    k = k.rstrip(":= \t")
    k = k.replace(":", "")  # "__code:0" (the node name)
    return k.lower()


def _unwrap(value: object, spec: VariableSpec) -> tuple[object, str | None]:
    """A dict value standing for one variable: take its code/value entry."""
    if not isinstance(value, dict):
        return value, None
    if spec.kind == "value" and spec.value_type is dict:
        return value, None
    lowered = {str(k).strip().lower(): k for k in value}
    for name in _WRAPPER_KEYS:
        if name in lowered:
            return value[lowered[name]], f"took {lowered[name]!r} from the dict suggested for"
    if spec.kind == "code":
        texts = [v for v in value.values() if isinstance(v, str) and v.strip()]
        if len(texts) == 1:
            return texts[0], "took the only text from the dict suggested for"
    return value, None


@dataclass
class _Candidate:
    rank: int  # 0 exact, 1 ignoring case, 2 label, 3 without digits, 4 invented key
    order: int
    key: str
    value: object
    how: str | None  # unwrap note


_RANK_NOTES = {
    1: "key {key!r} matched {name} ignoring case",
    2: "label {key!r} read as {name}",
    3: "key {key!r} read as {name}",
    4: "code under key {key!r} used for {name}",
}


def _suggestion_dict(obj: dict) -> tuple[dict | None, bool]:  # type: ignore[type-arg]
    """The suggestion mapping in a reply object, and whether it is the top level itself."""
    for level in (obj, *[v for v in obj.values() if isinstance(v, dict)]):
        for key in level:
            if str(key).strip().lower() in _SUGGESTION_KEYS:
                found = _as_mapping(level[key])
                if found:
                    return found, False
                # An empty "suggestion" beside an "answer" holding the values: small
                # models often put them there.
                answer = level.get("answer")
                if isinstance(answer, dict) and answer:
                    return _as_mapping(answer), False
                return found, False
    return obj, True


def _as_mapping(value: object) -> dict | None:  # type: ignore[type-arg]
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        obj, _, _, _ = decode_at(value.strip(), 0)
        return obj if isinstance(obj, dict) else {"": value}
    if isinstance(value, list):  # [{"name": "__code0", "value": "..."}, ...]
        out: dict[object, object] = {}
        for item in value:
            if isinstance(item, dict):
                low = {str(k).lower(): v for k, v in item.items()}
                name = next(
                    (low[k] for k in ("name", "variable", "key", "py_name") if k in low), None
                )
                val = next((low[k] for k in ("code", "value", "new_value") if k in low), None)
                if isinstance(name, str) and val is not None:
                    out[name] = val
        return out or None
    if value is None:
        return None
    return {"": value}  # a bare value: mapped below if unambiguous


def _map_keys(
    mapping: dict,  # type: ignore[type-arg]
    variables: Sequence[VariableSpec],
    top_level: bool,
    notes: _Notes,
) -> dict[str, list[_Candidate]]:
    by_name = {v.py_name: v for v in variables}
    lower = {v.py_name.lower(): v for v in variables}
    digitless: dict[str, list[VariableSpec]] = {}
    for v in variables:
        digitless.setdefault(re.sub(r"\d+$", "", v.py_name.lower()), []).append(v)
    code_by_fn: dict[str, list[VariableSpec]] = {}
    for v in variables:
        if v.kind == "code" and v.function_name:
            code_by_fn.setdefault(v.function_name, []).append(v)
    code_vars = [v for v in variables if v.kind == "code"]

    out: dict[str, list[_Candidate]] = {}
    for order, (raw_key, value) in enumerate(mapping.items()):
        key = str(raw_key)
        norm = _norm_key(key)
        if top_level and norm in _CHATTER_KEYS:
            continue
        spec: VariableSpec | None = None
        rank = 0
        if key in by_name:
            spec = by_name[key]
        elif key.lower() in lower:
            spec, rank = lower[key.lower()], 1
        elif norm in lower:
            spec, rank = lower[norm], 2
        elif len(digitless.get(norm, ())) == 1:
            spec, rank = digitless[norm][0], 3
        elif key == "" and len(variables) == 1:
            spec, rank = variables[0], 3
        else:
            spec = _invented_target(key, value, code_by_fn, code_vars)
            rank = 4
            if spec is None and top_level and norm not in _INVENTED_CODE_KEYS:
                continue  # other top-level chatter ("feedback", "confidence", ...)
        if spec is None:
            shown = key if key else "the bare suggestion"
            notes.add(f"suggestion for {shown} ignored (not a trainable variable)")
            continue
        unwrapped, how = _unwrap(value, spec)
        out.setdefault(spec.py_name, []).append(_Candidate(rank, order, key, unwrapped, how))
    return out


def _invented_target(
    key: str,
    value: object,
    code_by_fn: dict[str, list[VariableSpec]],
    code_vars: list[VariableSpec],
) -> VariableSpec | None:
    """An invented key ("code", "fixed_code", the function name, ...) holding a definition."""
    if isinstance(value, dict):
        low = {str(k).strip().lower(): v for k, v in value.items()}
        value = next((low[k] for k in _WRAPPER_KEYS if k in low), value)
    text = _as_text(value)
    if text is None:
        return None
    for fn, specs in code_by_fn.items():
        if len(specs) == 1 and def_pattern(fn).search(text):
            return specs[0]
    if len(code_vars) == 1 and code_vars[0].function_name is None and "def " in text:
        return code_vars[0]
    return None


# --------------------------------------------------------------------------------------------
# the entry point


def parse_reply(text: str, variables: Sequence[VariableSpec]) -> ParsedReply:
    """Recover every usable suggestion in ``text`` for ``variables``; see the module docstring."""
    notes = _Notes()
    if not isinstance(text, str) or not text.strip():
        notes.add("empty reply")
        return ParsedReply({}, False, tuple(notes.items), False)

    fences = find_fences(text)
    # 1. the reply object: strict JSON, then fenced JSON, then the outermost {...} in the text
    groups, truncated = _reply_objects(text, fences)
    chosen, candidates, chosen_notes = _choose(groups, text, variables)
    all_found = [f for g in groups for f in g]
    if any(f.stop == "truncated" for f in all_found):
        truncated = True
    _note_origin(chosen, all_found, text, truncated, notes)
    for item in chosen_notes.items:
        notes.add(item)

    # 2. key mapping and cleaning; 3. scanning the whole reply for missing code
    scanner = Scanner(text, fences, truncated)
    suggestion: dict[str, object] = {}
    for spec in variables:
        ranked = sorted(candidates.get(spec.py_name, []), key=lambda c: (c.rank, -c.order))
        if spec.kind == "value":
            _take_value(spec, ranked, suggestion, notes)
        else:
            _take_code(spec, ranked, scanner, suggestion, notes)

    # 5. TERMINATE counts only without a usable suggestion
    says_terminate = "TERMINATE" in text
    terminated = says_terminate and not suggestion
    if terminated:
        notes.add("reply says TERMINATE")
    elif says_terminate:
        notes.add("TERMINATE ignored: the reply has a usable suggestion")
    elif not suggestion:
        notes.add("no usable suggestion in the reply")
    return ParsedReply(suggestion, terminated, tuple(notes.items), notes.lenient)


def _reply_objects(text: str, fences: list[Fence]) -> tuple[list[list[Found]], bool]:
    """Groups of candidate reply objects, best first, and whether a fence was left open.

    The last group, when the reply is not strict JSON, is a fresh list that :func:`_choose`
    fills with the objects of the whole text only when the fences give nothing.
    """
    try:
        whole = json.loads(text.strip())
    except (ValueError, RecursionError):
        whole = None
    if isinstance(whole, dict):
        return [[Found(whole, "strict", None, frozenset(), 0)]], False
    truncated = bool(fences) and not fences[-1].closed
    fenced: list[Found] = []
    for fence in fences:
        if fence.lang not in _PYTHON_LANGS:
            content = text[fence.start : fence.end]
            fenced.extend(objects_in(content, "fenced", fence.start))
    return [fenced, []], truncated


def _choose(
    groups: list[list[Found]], text: str, variables: Sequence[VariableSpec]
) -> tuple[Found | None, dict[str, list[_Candidate]], _Notes]:
    """The reply object whose keys map to variables (the last such one of the first group
    holding one), else the first object with a suggestion mapping at all."""
    fallback: tuple[Found, _Notes] | None = None
    for number, group in enumerate(groups):
        if number == 1:  # the whole text: searched only when the fences give nothing
            group.extend(objects_in(text, "text"))
        for found in reversed(group):  # later objects are usually the corrected ones
            mapping, top_level = _suggestion_dict(found.obj)
            if mapping is None:
                continue
            local = _Notes()
            cands = _map_keys(mapping, variables, top_level, local)
            if cands:
                return found, cands, local
            if fallback is None:
                fallback = (found, local)
    if fallback is not None:
        return fallback[0], {}, fallback[1]
    return None, {}, _Notes()


def _note_origin(
    chosen: Found | None, all_found: list[Found], text: str, truncated: bool, notes: _Notes
) -> None:
    """Say where the reply object came from and what was lenient about it."""
    if chosen is None:
        if "{" in text and not all_found:
            notes.add("no JSON object found in the reply")
        elif not all_found:
            notes.add("reply is not JSON")
    else:
        if chosen.origin == "fenced":
            notes.add("JSON taken from a fenced block", lenient=True)
        elif chosen.origin == "text":
            notes.add("JSON object cut out of surrounding text", lenient=True)
        if chosen.used:
            notes.add("lenient JSON: " + ", ".join(sorted(chosen.used)), lenient=True)
        if chosen.stop == "malformed":
            notes.add("malformed JSON: kept the members before the error", lenient=True)
    if truncated:
        notes.add("reply truncated (unbalanced JSON): kept what was complete", lenient=True)


def _rank_note(cand: _Candidate, spec: VariableSpec, notes: _Notes) -> None:
    if cand.rank:
        notes.add(_RANK_NOTES[cand.rank].format(key=cand.key, name=spec.py_name), lenient=True)
    if cand.how:
        notes.add(f"{cand.how} {spec.py_name}", lenient=True)


def _value_label(py_name: str) -> re.Pattern[str]:
    """``(str) greeting0=`` / ``greeting0:`` copied from the #Variables listing."""
    return re.compile(r"\A\s*(?:\(\s*\w+\s*\)\s*)?" + re.escape(py_name) + r"\s*[:=][ \t]*")


def _take_value(
    spec: VariableSpec,
    cands: list[_Candidate],
    suggestion: dict[str, object],
    notes: _Notes,
) -> None:
    for cand in cands:
        value = cand.value
        if isinstance(value, PartialDict | PartialList):
            notes.add(f"value for {spec.py_name} was cut off: ignored")
            continue
        if isinstance(value, str):
            cleaned = _value_label(spec.py_name).sub("", value, count=1)
            if cleaned != value and cleaned.strip():
                notes.add(f"label stripped from the value of {spec.py_name}", lenient=True)
                value = cleaned
        _rank_note(cand, spec, notes)
        suggestion[spec.py_name] = value
        return


def _take_code(
    spec: VariableSpec,
    cands: list[_Candidate],
    scanner: Scanner,
    suggestion: dict[str, object],
    notes: _Notes,
) -> None:
    unusable: tuple[_Candidate, str] | None = None
    for cand in cands:
        text = _as_text(cand.value)
        if text is None or not text.strip():
            if text is None:
                kind = type(cand.value).__name__
                notes.add(f"suggestion for {spec.py_name} is a {kind}, not code: ignored")
            continue
        code, usable, note = clean_code(text, spec.py_name, spec.function_name)
        if usable:
            _rank_note(cand, spec, notes)
            if note:
                notes.add(note, lenient=True)
            suggestion[spec.py_name] = code
            return
        if unusable is None:
            unusable = (cand, code)
    if spec.function_name and len(spec.function_name) > 0:
        found = scanner.find(spec.function_name)
        if found is not None:
            code, where = found
            why = " (the suggested code did not parse)" if unusable else ""
            notes.add(f"code for {spec.py_name} recovered from {where}{why}", lenient=True)
            suggestion[spec.py_name] = textwrap.dedent(code).strip("\n")
            return
    if unusable is not None:
        cand, code = unusable
        _rank_note(cand, spec, notes)
        notes.add(f"code for {spec.py_name} does not parse or lacks the function")
        suggestion[spec.py_name] = code  # let the checker explain what is wrong with it
