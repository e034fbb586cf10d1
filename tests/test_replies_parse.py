"""parse_reply against replies written the way small local models really write them."""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Callable

import pytest

from pytest_trace_opt.replies import (
    Check,
    ParsedReply,
    VariableSpec,
    check_code,
    check_value,
    parse_reply,
)

CODE = VariableSpec("__code0", "code", function_name="slugify")
PROMPT = VariableSpec("greeting_template0", "value", value_type=str)
UNDO = VariableSpec("__code1", "code", function_name="undo")

CURRENT = 'def slugify(text):\n    """Turn text into a URL slug."""\n    return text.lower()\n'
FIXED = (
    "def slugify(text):\n"
    '    """Turn text into a URL slug."""\n'
    '    return "-".join(text.lower().split())'
)


def parse(text: str, *variables: VariableSpec) -> ParsedReply:
    return parse_reply(text, variables or (CODE,))


def code_of(reply: ParsedReply, name: str = "__code0") -> str:
    value = reply.suggestion[name]
    assert isinstance(value, str)
    return value


def body_of(code: str) -> str:
    """The function's statements, formatting-independent."""
    return ast.unparse(ast.parse(code))


def assert_fixed(reply: ParsedReply, name: str = "__code0") -> None:
    assert body_of(code_of(reply, name)) == body_of(FIXED)
    assert check_code(code_of(reply, name), CURRENT, "slugify", is_method=False).ok


def has_problem(reply: ParsedReply, fragment: str) -> bool:
    return any(fragment in p for p in reply.problems)


# --------------------------------------------------------------------------------------------
# strict JSON


def test_strict_json_mode_reply_with_escaped_newlines() -> None:
    reply = json.dumps(
        {
            "reasoning": "The feedback says words must be joined with '-'.",
            "answer": "",
            "suggestion": {"__code0": FIXED + "\n"},
        }
    )
    assert "\\n" in reply
    parsed = parse(reply)
    assert_fixed(parsed)
    assert parsed.problems == ()
    assert parsed.recovered is False
    assert parsed.terminated is False


def test_strict_json_code_with_nested_braces_dict_literal_and_fstring() -> None:
    code = (
        "def slugify(text):\n"
        '    table = {"&": "and", "@": "at"}\n'
        "    words = [table.get(w, w) for w in text.lower().split()]\n"
        "    return f\"{'-'.join(words)}\"\n"
    )
    reply = json.dumps({"reasoning": "map {} symbols", "suggestion": {"__code0": code}})
    parsed = parse(reply)
    assert code_of(parsed) == code.strip("\n")
    assert not parsed.recovered


def test_input_suggestion_alone_is_dropped_with_a_note() -> None:
    reply = (
        '{"reasoning": "The input should be lowercase already.", "answer": "hello-world", '
        '"suggestion": {"a0": "hello world"}}'
    )
    parsed = parse(reply)
    assert parsed.suggestion == {}
    assert has_problem(parsed, "suggestion for a0 ignored")
    assert has_problem(parsed, "no usable suggestion")
    assert not parsed.terminated


def test_input_and_code_suggested_together_takes_the_code() -> None:
    reply = json.dumps(
        {
            "reasoning": "Change the input and the code.",
            "answer": "hello-world",
            "suggestion": {"a0": "Hello World", "arr0": [3, 1, 2], "__code0": FIXED},
        }
    )
    parsed = parse(reply)
    assert set(parsed.suggestion) == {"__code0"}
    assert_fixed(parsed)
    assert has_problem(parsed, "suggestion for a0 ignored")
    assert has_problem(parsed, "suggestion for arr0 ignored")
    assert parsed.recovered is False  # dropping inputs is not a lenient recovery


# --------------------------------------------------------------------------------------------
# key mapping


@pytest.mark.parametrize("key", ["code", "function", "fixed_code", "new_code", "slugify"])
def test_invented_key_holding_the_function(key: str) -> None:
    reply = json.dumps({"reasoning": "Fix join.", "suggestion": {key: FIXED}})
    parsed = parse(reply)
    assert_fixed(parsed)
    assert has_problem(parsed, f"code under key {key!r} used for __code0")
    assert parsed.recovered


def test_invented_key_without_the_function_is_ignored() -> None:
    reply = json.dumps({"suggestion": {"code": "text.lower()"}})
    parsed = parse(reply)
    assert parsed.suggestion == {}
    assert has_problem(parsed, "suggestion for code ignored")


@pytest.mark.parametrize(
    "key", ["__CODE0", "(code) __code0", "__code0:", "(code) __code0:", "__code", "__code:0"]
)
def test_key_spellings_map_to_the_variable(key: str) -> None:
    parsed = parse(json.dumps({"suggestion": {key: FIXED}}))
    assert_fixed(parsed)
    assert parsed.recovered


def test_trailing_digit_match_must_be_unique() -> None:
    parsed = parse(json.dumps({"suggestion": {"__code": FIXED}}), CODE, UNDO)
    # "__code" is ambiguous between __code0 and __code1, but the text defines slugify()
    assert_fixed(parsed)
    assert "__code1" not in parsed.suggestion


def test_exact_key_wins_over_invented_key() -> None:
    reply = json.dumps(
        {"suggestion": {"code": "def slugify(text):\n    return text", "__code0": FIXED}}
    )
    assert_fixed(parse(reply))


def test_suggestions_plural_key() -> None:
    assert_fixed(parse(json.dumps({"reasoning": "r", "suggestions": {"__code0": FIXED}})))


def test_top_level_variable_keys_without_suggestion_key() -> None:
    reply = json.dumps({"reasoning": "fix it", "__code0": FIXED, "a0": "x"})
    parsed = parse(reply)
    assert_fixed(parsed)


def test_dict_valued_suggestion_takes_its_code_entry() -> None:
    reply = json.dumps(
        {
            "reasoning": "The code is wrong.",
            "suggestion": {"__code0": {"type": "code", "code": FIXED}},
        }
    )
    parsed = parse(reply)
    assert_fixed(parsed)
    assert has_problem(parsed, "took 'code' from the dict suggested for __code0")


def test_dict_valued_suggestion_with_new_value_for_a_prompt() -> None:
    reply = json.dumps(
        {"suggestion": {"greeting_template0": {"old_value": "Hi", "new_value": "Hello, {name}!"}}}
    )
    parsed = parse(reply, PROMPT)
    assert parsed.suggestion == {"greeting_template0": "Hello, {name}!"}


def test_list_of_lines_as_code() -> None:
    reply = json.dumps({"suggestion": {"__code0": FIXED.split("\n")}})
    assert_fixed(parse(reply))


def test_several_variables() -> None:
    undo = "def undo(slug):\n    return slug.replace('-', ' ')"
    reply = json.dumps(
        {
            "reasoning": "Both functions need fixing; also a nicer greeting.",
            "suggestion": {
                "__code0": FIXED,
                "__code1": undo,
                "greeting_template0": "Hello, {name}!",
                "name0": "Bob",
            },
        }
    )
    parsed = parse(reply, CODE, UNDO, PROMPT)
    assert_fixed(parsed)
    assert code_of(parsed, "__code1") == undo
    assert parsed.suggestion["greeting_template0"] == "Hello, {name}!"
    assert has_problem(parsed, "suggestion for name0 ignored")


# --------------------------------------------------------------------------------------------
# value variables


def test_prompt_suggested_as_a_quoted_string_is_returned_raw() -> None:
    # the checker, not the parser, strips the quotes (it knows the current value)
    reply = (
        '{"reasoning": "Be friendlier.",\n'
        ' "suggestion": {"greeting_template0": "\'Hello, {name}!\'"}}'
    )
    parsed = parse(reply, PROMPT)
    assert parsed.suggestion == {"greeting_template0": "'Hello, {name}!'"}
    checked = check_value(parsed.suggestion["greeting_template0"], "Hi {name}")
    assert checked == Check(True, "Hello, {name}!", "")


def test_prompt_with_copied_variable_label() -> None:
    reply = json.dumps(
        {"suggestion": {"greeting_template0": "(str) greeting_template0=Hey {name}"}}
    )
    parsed = parse(reply, PROMPT)
    assert parsed.suggestion == {"greeting_template0": "Hey {name}"}
    assert parsed.recovered


def test_truncated_list_value_is_not_used() -> None:
    spec = VariableSpec("stop_words0", "value", value_type=list)
    parsed = parse('{"suggestion": {"stop_words0": ["a", "an", "th', spec)
    assert parsed.suggestion == {}
    assert has_problem(parsed, "reply truncated")


# --------------------------------------------------------------------------------------------
# fences, Python strings and other near-JSON


FENCED_TRIPLE = '''```json
{
    "reasoning": "The slug must join words with dashes.",
    "answer": "",
    "suggestion": {
        "__code0": """def slugify(text):
    \"\"\"Turn text into a URL slug.\"\"\"
    return "-".join(text.lower().split())
"""
    }
}
```'''


def test_fenced_json_with_python_triple_quoted_code() -> None:
    parsed = parse(FENCED_TRIPLE)
    assert_fixed(parsed)
    assert has_problem(parsed, "JSON taken from a fenced block")
    assert has_problem(parsed, "triple-quoted strings")
    assert parsed.recovered


def test_fenced_strict_json() -> None:
    body = json.dumps({"reasoning": "r", "suggestion": {"__code0": FIXED}}, indent=2)
    parsed = parse(f"Here is my answer:\n\n```json\n{body}\n```\n")
    assert_fixed(parsed)
    assert parsed.problems == ("JSON taken from a fenced block",)


def test_json_without_fence_in_prose() -> None:
    body = json.dumps({"reasoning": "r", "suggestion": {"__code0": FIXED}})
    parsed = parse(f"Sure! Based on the feedback {{x}}, here is the fix.\n{body}\nHope this helps.")
    assert_fixed(parsed)
    assert has_problem(parsed, "cut out of surrounding text")


def test_python_style_dict_with_single_quotes_trailing_commas_and_literals() -> None:
    reply = """{
  'reasoning': 'The function doesn't join words, it's wrong.',
  'answer': None,
  'done': False,
  'suggestion': {
    '__code0': 'def slugify(text):\\n    return "-".join(text.lower().split())\\n',
  },
}"""
    parsed = parse(reply)
    assert body_of(code_of(parsed)) == body_of(
        'def slugify(text):\n    return "-".join(text.lower().split())'
    )
    assert has_problem(parsed, "single-quoted strings")
    assert has_problem(parsed, "trailing commas")


def test_raw_newlines_inside_json_strings() -> None:
    reply = '{"reasoning": "fix", "suggestion": {"__code0": "' + FIXED + '\n"}}'
    parsed = parse(reply)
    assert_fixed(parsed)
    assert has_problem(parsed, "raw newlines")


def test_nested_braces_and_fstring_inside_triple_quoted_code() -> None:
    reply = '''{"reasoning": "use a {} table", "suggestion": {"__code0": """def slugify(text):
    table = {"&": "and", "{": "", "}": ""}
    words = [table.get(w, w) for w in text.split()]
    return f"{'-'.join(words).lower()}"
"""}}'''
    parsed = parse(reply)
    code = code_of(parsed)
    assert 'table = {"&": "and", "{": "", "}": ""}' in code
    assert "return f\"{'-'.join(words).lower()}\"" in code
    assert check_code(code, CURRENT, "slugify", is_method=False).ok


def test_double_escaped_newlines_in_code() -> None:
    reply = json.dumps({"suggestion": {"__code0": FIXED.replace("\n", "\\n")}})
    assert_fixed(parse(reply))


def test_suggestion_given_as_a_json_string() -> None:
    inner = json.dumps({"__code0": FIXED})
    assert_fixed(parse(json.dumps({"reasoning": "r", "suggestion": inner})))


# --------------------------------------------------------------------------------------------
# cleaning copied labels and preambles


@pytest.mark.parametrize(
    "prefix",
    [
        "(code) __code0: ",
        "(code) __code0:\n",
        "__code0:\n",
        "__code0: ",
        "```python\n",
        "#Constraints\n(code) __code0: The code should start with:\n",
        "The code should start with:\n",
    ],
)
def test_copied_labels_and_preambles_are_stripped(prefix: str) -> None:
    suffix = "\n```" if prefix.startswith("```") else "\n"
    reply = json.dumps({"reasoning": "fixed", "suggestion": {"__code0": prefix + FIXED + suffix}})
    parsed = parse(reply)
    assert_fixed(parsed)
    assert parsed.recovered


def test_constraint_signature_stub_copied_before_the_real_definition() -> None:
    value = (
        "The code should start with:\n"
        'def slugify(text):\n    """Turn text into a URL slug."""\n' + FIXED
    )
    parsed = parse(json.dumps({"suggestion": {"__code0": value}}))
    assert_fixed(parsed)


def test_stray_trailing_json_punctuation_in_code() -> None:
    value = FIXED + '\n"}'
    parsed = parse(json.dumps({"suggestion": {"__code0": value}}))
    assert_fixed(parsed)


def test_code_indented_as_a_whole_is_dedented() -> None:
    value = "\n".join("    " + line for line in FIXED.split("\n"))
    parsed = parse(json.dumps({"suggestion": {"__code0": value}}))
    assert code_of(parsed).startswith("def slugify(text):")


def test_method_wrapped_in_its_class_is_cut_out() -> None:
    spec = VariableSpec("__code0", "code", function_name="forward")
    value = (
        "class Agent:\n    def forward(self, question):\n        return question.strip().upper()\n"
    )
    parsed = parse(json.dumps({"suggestion": {"__code0": value}}), spec)
    assert code_of(parsed) == "def forward(self, question):\n    return question.strip().upper()"


def test_unparseable_code_is_still_returned_for_the_checker() -> None:
    value = "def slugify(text):\n    return '-'.join(text.lower().split()"
    parsed = parse(json.dumps({"suggestion": {"__code0": value}}))
    assert code_of(parsed) == value
    assert has_problem(parsed, "does not parse")
    result = check_code(code_of(parsed), CURRENT, "slugify", is_method=False)
    assert result.reason.startswith("syntax error at line 2")


# --------------------------------------------------------------------------------------------
# scanning the whole reply for the function


def test_correct_function_in_a_python_fence_while_suggestion_names_an_input() -> None:
    reply = f"""The bug is that words are not joined. Fixed function:

```python
{FIXED}
```

{{"reasoning": "join words", "answer": "hello-world", "suggestion": {{"a0": "Hello World"}}}}"""
    parsed = parse(reply)
    assert_fixed(parsed)
    assert has_problem(parsed, "suggestion for a0 ignored")
    assert has_problem(parsed, "code for __code0 recovered from a fenced block")


def test_function_in_the_answer_string_of_json_mode_output() -> None:
    reply = json.dumps(
        {
            "reasoning": "We should join the words with '-'.",
            "answer": "The corrected code is:\n" + FIXED,
            "suggestion": {"a0": "hello"},
        }
    )
    parsed = parse(reply)
    assert_fixed(parsed)
    assert has_problem(parsed, "recovered from a JSON string")


def test_two_versions_takes_the_later_one() -> None:
    first = "def slugify(text):\n    return text.replace(' ', '-')"
    reply = f"""First attempt:
```python
{first}
```
Wait, that does not lowercase. Corrected version:
```python
{FIXED}
```
{{"reasoning": "see above", "suggestion": {{}}}}"""
    parsed = parse(reply)
    assert_fixed(parsed)


def test_fenced_block_keeps_attached_imports_and_helpers_but_not_usage() -> None:
    reply = """Here is the fix:
```python
import re
import os

_SEP = "-"

def _words(text):
    return re.findall(r"[a-z0-9]+", text.lower())

def slugify(text):
    return _SEP.join(_words(text))

print(slugify("Hello World"))
```"""
    parsed = parse(reply)
    code = code_of(parsed)
    assert "import re" in code
    assert "import os" not in code  # not used by the function
    assert "_SEP = " in code and "def _words" in code
    assert "print(" not in code
    assert check_code(code, CURRENT, "slugify", is_method=False).ok


def test_function_in_raw_text_without_any_json() -> None:
    reply = f"I think the fix is:\n\n{FIXED}\n\nThis joins the words with dashes."
    parsed = parse(reply)
    assert_fixed(parsed)
    assert has_problem(parsed, "recovered from the text")


def test_async_function_is_found() -> None:
    spec = VariableSpec("__code0", "code", function_name="fetch")
    code = "async def fetch(url):\n    return await get(url, timeout=5)"
    parsed = parse(f"```python\n{code}\n```", spec)
    assert code_of(parsed) == code


def test_unescaped_quotes_break_the_json_but_the_code_is_recovered() -> None:
    reply = (
        '{"reasoning": "join with dashes", "suggestion": {"__code0": "def slugify(text):\\n'
        '    return "-".join(text.lower().split())\\n"}}'
    )
    parsed = parse(reply)
    assert body_of(code_of(parsed)) == body_of(
        'def slugify(text):\n    return "-".join(text.lower().split())'
    )


def test_method_found_inside_a_class_in_a_fence() -> None:
    spec = VariableSpec("__code0", "code", function_name="forward")
    reply = """```python
class Agent:
    def forward(self, question):
        return question.upper()

    def other(self):
        return 1
```"""
    parsed = parse(reply, spec)
    assert code_of(parsed) == "def forward(self, question):\n    return question.upper()"


def test_signature_only_mention_is_not_a_definition() -> None:
    reply = '{"reasoning": "def slugify(text): must stay", "suggestion": {"a0": "x"}}'
    parsed = parse(reply)
    assert parsed.suggestion == {}


# --------------------------------------------------------------------------------------------
# truncation, TERMINATE, empty replies


def test_truncated_reply_recovers_the_complete_code() -> None:
    full = json.dumps(
        {"reasoning": "fix", "suggestion": {"__code0": FIXED, "a0": "some long input value"}}
    )
    parsed = parse(full[: full.index("some long") + 4])
    assert_fixed(parsed)
    assert has_problem(parsed, "reply truncated")


def test_truncated_inside_the_code_gives_nothing_half_written() -> None:
    full = json.dumps({"reasoning": "fix", "suggestion": {"__code0": FIXED}})
    parsed = parse(full[: full.index(".join") + 3])
    assert parsed.suggestion == {}
    assert has_problem(parsed, "reply truncated")


def test_truncated_after_a_complete_function_in_the_reasoning() -> None:
    head = json.dumps({"reasoning": "The fix:\n" + FIXED + "\nNow the JSON"})[:-2]
    reply = head + '", "suggestion": {"__code0": "def slugify(text):\\n    return \\"-\\".jo'
    parsed = parse(reply)
    assert_fixed(parsed)
    assert has_problem(parsed, "reply truncated")


def test_truncated_fenced_code_block_is_not_used() -> None:
    reply = "```python\ndef slugify(text):\n    words = text.lower().split()\n    return words"
    parsed = parse(reply)
    assert parsed.suggestion == {}
    assert has_problem(parsed, "reply truncated")


def test_terminate_without_code() -> None:
    reply = '{"reasoning": "All tests pass already.", "answer": "TERMINATE", "suggestion": {}}'
    parsed = parse(reply)
    assert parsed.terminated
    assert parsed.suggestion == {}
    assert has_problem(parsed, "TERMINATE")


def test_plain_terminate() -> None:
    assert parse("TERMINATE").terminated


def test_terminate_in_reasoning_with_a_valid_suggestion() -> None:
    reply = json.dumps(
        {
            "reasoning": "I should not TERMINATE yet: the output lacks dashes.",
            "suggestion": {"__code0": FIXED},
        }
    )
    parsed = parse(reply)
    assert not parsed.terminated
    assert_fixed(parsed)
    assert has_problem(parsed, "TERMINATE ignored")


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_reply(text: str) -> None:
    parsed = parse(text)
    assert parsed == ParsedReply({}, False, ("empty reply",), False)


def test_reply_without_json_or_code() -> None:
    parsed = parse("I am not sure what to change.")
    assert parsed.suggestion == {}
    assert not parsed.terminated


# --------------------------------------------------------------------------------------------
# bounded work


def _timed(text: str, *variables: VariableSpec) -> tuple[ParsedReply, float]:
    start = time.perf_counter()
    parsed = parse_reply(text, variables or (CODE,))
    return parsed, time.perf_counter() - start


def _grows_linearly(make: Callable[[int], str]) -> bool:
    """Ten times the input takes well under a hundred times as long (quadratic would not).

    A ratio measured on the same machine moments apart, best of three each, so that the
    figure holds on a loaded machine; absolute timings belong in benchmarks."""
    small = min(_timed(make(1))[1] for _ in range(3))
    large = min(_timed(make(10))[1] for _ in range(3))
    return large < 30 * max(small, 1e-3)


def test_five_megabyte_strict_reply() -> None:
    big = json.dumps(
        {
            "reasoning": "The input was " + "[1, 2, 3], " * 450_000,
            "suggestion": {"__code0": FIXED, "arr0": list(range(50_000))},
        }
    )
    assert len(big) > 5_000_000
    parsed, _ = _timed(big)
    assert_fixed(parsed)


def test_five_megabyte_lenient_reply_with_code_at_the_end() -> None:
    reasoning = "Let's think {step} by 'step' and ```check``` again.\\n" * 100_000
    reply = (
        "```json\n{'reasoning': '"
        + reasoning
        + "', 'suggestion': {'code': '''"
        + FIXED
        + "'''}}\n```"
    )
    assert len(reply) > 5_000_000
    parsed, _ = _timed(reply)
    assert_fixed(parsed)


GARBAGE: dict[str, Callable[[int], str]] = {
    "braces": lambda k: "{" * 500_000 * k,
    "backslashes": lambda k: '{"a": "' + "\\" * 500_000 * k,
    "fences": lambda k: "```" * 170_000 * k,
    "defs": lambda k: "def slugify(" * 42_000 * k,
    "quotes": lambda k: "{'a': '" + "x' " * 170_000 * k,
    "nesting": lambda k: "[" * 200_000 * k + '{"suggestion": ' * 10_000 * k,
    "escaped-defs": lambda k: ("def slugify(text):\\n" + " " * 40 + "\\n") * 8_000 * k,
}


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_pathological_megabyte_replies_are_read_in_linear_time(kind: str) -> None:
    parsed, _ = _timed(GARBAGE[kind](10))
    assert parsed.suggestion == {}  # nothing usable in garbage, and no exception
    assert parsed.problems  # and the reply is said to be unusable
    assert _grows_linearly(GARBAGE[kind])


def test_json_after_prose_full_of_braces_and_quotes() -> None:
    prose = "Use {name} and {'x' as the key, f'{value}' or {x: dict}. " * 40
    body = json.dumps({"reasoning": "r", "suggestion": {"__code0": FIXED}})
    parsed = parse(prose + "\n" + body)
    assert_fixed(parsed)


QWEN_STYLE = '''```json
{
  "reasoning": "The #Feedback says slugify('Hello World') returned 'hello world'.
The code only lowercases, so I must TERMINATE the bug by joining with '-'.",
  "answer": "hello-world",
  "suggestion": {
    "a0": "Hello World",
    "__code0": """(code) __code0:def slugify(text):
    \\"\\"\\"Turn text into a URL slug.\\"\\"\\"
    return "-".join(text.lower().split())""",
  }
}
```
'''


def test_small_model_reply_with_many_faults_at_once() -> None:
    parsed = parse(QWEN_STYLE)
    assert not parsed.terminated
    code = code_of(parsed)
    assert code.startswith("def slugify(text):")
    assert check_code(code, CURRENT, "slugify", is_method=False).ok
    assert parsed.recovered
    for note in ("fenced block", "triple-quoted", "trailing commas", "a0 ignored", "TERMINATE"):
        assert has_problem(parsed, note), note


def test_code_under_answer_with_an_empty_suggestion() -> None:
    """Seen from Qwen2.5-Coder-1.5B behind llama.cpp's server: the value sits in "answer"."""
    reply = '''```json
{
  "reasoning": "Join the words with dashes.",
  "answer": {
    "__code0": """
def slugify(text):
    """Lowercase the text and join its words with dashes."""
    return '-'.join(word.lower() for word in text.split())
    """
  },
  "suggestion": {}
}
```'''
    parsed = parse_reply(reply, [VariableSpec("__code0", "code", function_name="slugify")])
    code = parsed.suggestion["__code0"]
    assert code.rstrip().endswith("return '-'.join(word.lower() for word in text.split())")
    assert code.startswith("def slugify(text):")
