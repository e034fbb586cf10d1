"""Pure logic of the trust boundary: credential names, masking, signed result lines and
the controller's end of the child's pipe (a real ``os.pipe``, no child)."""

from __future__ import annotations

import os

import pytest

from pytest_trace_opt.core.evaluator import Channel
from pytest_trace_opt.protocol import (
    ResultEvent,
    StartEvent,
    encode_event,
    sign_line,
    verify_line,
)
from pytest_trace_opt.secrets import (
    MASK,
    is_secret_name,
    mask,
    parse_passthrough,
    scrubbed,
    secret_values,
)


@pytest.mark.parametrize(
    "name",
    ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "AWS_ACCESS_KEY_ID",
     "AWS_SECRET_ACCESS_KEY", "MY_APIKEY", "HF_TOKEN", "gh_token"],
)  # fmt: skip
def test_credential_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["PATH", "HOME", "TOKENIZERS_PARALLELISM", "KEYBOARD", "PYTEST_ADDOPTS", "MONKEY"]
)
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_scrubbed_drops_credentials_and_keeps_what_is_passed_through() -> None:
    env = {"PATH": "/bin", "OPENAI_API_KEY": "sk-1", "MY_TOKEN": "t", "HOME": "/h"}
    assert scrubbed(env) == {"PATH": "/bin", "HOME": "/h"}
    keep = parse_passthrough("MY_TOKEN, OTHER")
    assert keep == {"MY_TOKEN", "OTHER"}
    assert scrubbed(env, keep) == {"PATH": "/bin", "HOME": "/h", "MY_TOKEN": "t"}


def test_mask_replaces_every_credential_value_longest_first() -> None:
    env = {"A_API_KEY": "sk-abcdef", "B_TOKEN": "sk-abcdef-long", "SHORT_TOKEN": "1", "X": "y"}
    assert secret_values(env) == ["sk-abcdef-long", "sk-abcdef"]
    text = "keys sk-abcdef-long and sk-abcdef, flag 1"
    assert mask(text, env) == f"keys {MASK} and {MASK}, flag 1"
    assert mask("", env) == ""


KEY = b"k" * 32


def test_a_signed_line_verifies_only_with_its_key_number_and_text() -> None:
    line = sign_line(KEY, 0, '{"event": "start"}')
    assert verify_line(KEY, 0, line) == '{"event": "start"}'
    assert verify_line(KEY, 1, line) is None  # replayed out of order
    assert verify_line(b"x" * 32, 0, line) is None
    assert verify_line(KEY, 0, line.replace("start", "stars")) is None
    assert verify_line(KEY, 0, '{"event": "start"}') is None  # unsigned


def test_the_channel_counts_unsigned_and_unasked_results_as_forged() -> None:
    read_fd, write_fd = os.pipe()
    channel = Channel(read_fd, KEY, asked={"t.py::test_a"})
    good = [
        encode_event(StartEvent("t.py::test_a")),
        encode_event(ResultEvent("t.py::test_a", "failed")),
        encode_event(ResultEvent("t.py::test_other", "passed")),  # signed, but not asked
    ]
    lines = [sign_line(KEY, i, text) for i, text in enumerate(good)]
    lines.insert(1, encode_event(ResultEvent("t.py::test_a", "passed")))  # unsigned: forged
    os.write(write_fd, ("\n".join(lines) + "\n").encode())
    os.close(write_fd)
    channel.read(timeout=5)
    assert channel.fd == -1  # end of the pipe seen
    assert channel.run.forged == 2
    assert channel.run.started == ["t.py::test_a"]
    assert channel.run.finished["t.py::test_a"].outcome == "failed"
    assert "t.py::test_other" not in channel.run.finished


def test_a_bound_signer_signs_as_sign_line_and_ignores_later_patches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_trace_opt import protocol

    sign = protocol.line_signer(b"k" * 32)
    expected = protocol.sign_line(b"k" * 32, 3, '{"event": "finish"}')
    monkeypatch.setattr(protocol, "_mac", lambda key, seq, text: "forged")
    monkeypatch.setattr(protocol.hmac, "new", lambda *a, **k: None)
    assert sign(3, '{"event": "finish"}') == expected

