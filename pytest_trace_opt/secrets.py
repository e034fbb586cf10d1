"""Credentials never reach candidate code, and never leave in what the plugin writes.

Evaluation children get the environment without provider credentials: the variables
LiteLLM reads for its providers and anything named like a key, token, secret or password
(``trace_env_passthrough`` keeps named ones). Everything the plugin writes or sends
(prompts, cassette, reports, terminal lines, the patch) passes :func:`mask` first, which
replaces the values of those variables wherever they appear. Stdlib only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

# Provider credentials whose names do not say "key", "token" or "secret".
KNOWN_CREDENTIALS = frozenset({
    "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "AZURE_AD_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS",
    "VERTEXAI_CREDENTIALS", "WATSONX_APIKEY", "DATABRICKS_TOKEN", "CLOUDFLARE_API_KEY",
    "LITELLM_MASTER_KEY", "NETRC",
})  # fmt: skip
_SECRET_WORDS = frozenset({
    "TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASS", "CREDENTIAL", "CREDENTIALS",
    "APIKEY", "PRIVATE",
})  # fmt: skip
MIN_MASKED_LENGTH = 6  # shorter values ("1", "true") would mask ordinary text
MASK = "***"


def is_secret_name(name: str) -> bool:
    """``OPENAI_API_KEY``, ``GITHUB_TOKEN``, ``DB_PASSWORD``; not ``TOKENIZERS_PARALLELISM``."""
    upper = name.upper()
    if upper in KNOWN_CREDENTIALS:
        return True
    words = [w for w in re.split(r"[^A-Z0-9]+", upper) if w]
    if not words:
        return False
    return bool(_SECRET_WORDS.intersection(words)) or words[-1] == "KEY" or "API_KEY" in upper


def parse_passthrough(text: str) -> frozenset[str]:
    """Names separated by commas or whitespace (the ``trace_env_passthrough`` setting)."""
    return frozenset(n for n in re.split(r"[\s,]+", text) if n)


def secret_names(env: Mapping[str, str], keep: Iterable[str] = ()) -> list[str]:
    kept = set(keep)
    return sorted(n for n in env if is_secret_name(n) and n not in kept)


def scrubbed(env: Mapping[str, str], keep: Iterable[str] = ()) -> dict[str, str]:
    """``env`` without its credentials (``keep``: names the user wants passed through)."""
    drop = set(secret_names(env, keep))
    return {k: v for k, v in env.items() if k not in drop}


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """The values to mask, longest first (so a value inside another is masked whole)."""
    env = os.environ if env is None else env
    values = {env[n].strip() for n in secret_names(env)}
    return sorted((v for v in values if len(v) >= MIN_MASKED_LENGTH), key=len, reverse=True)


def mask(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with every credential value of ``env`` (default: this process's) replaced."""
    if not text:
        return text
    for value in secret_values(env):
        if value in text:
            text = text.replace(value, MASK)
    return text
