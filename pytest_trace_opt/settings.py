"""Options of the plugin: one table drives ``--trace-…`` flags, ini mirrors and validation."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_trace_opt.protocol import ChildLimits

OPTIMIZERS = ("OptoPrime", "OPRO", "TextGrad", "OptoPrimeMulti")
# Bounds on what a child records per test; the optimizer's graph and the plan read them.
MAX_REPR = 300  # characters of one argument or output repr
MAX_CALLS_PER_TEST = 6  # calls to trainables recorded per test
RECORD_MODES = ("none", "once", "new", "all")
ON_OFF = ("on", "off")


@dataclass(frozen=True)
class Option:
    """One setting: ``--trace-<flag>`` on the command line, ``trace_<flag>`` in the ini file."""

    flag: str
    field: str
    kind: str  # bool | int | float | str | path | choice
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    ini: bool = True  # action switches are command line only, on purpose

    @property
    def cli(self) -> str:
        return f"--trace-{self.flag}"

    @property
    def ini_name(self) -> str:
        return "trace_" + self.flag.replace("-", "_")

    @property
    def dest(self) -> str:
        return "trace_" + self.field


OPTIONS: tuple[Option, ...] = (
    Option(
        "optimize",
        "optimize",
        "bool",
        False,
        "optimize the trainables of tests tagged @pytest.mark.trainable",
        ini=False,
    ),
    Option(
        "plan",
        "plan",
        "bool",
        False,
        "describe what would be optimized and its risks, without calling an LLM",
        ini=False,
    ),
    Option(
        "strict",
        "strict",
        "bool",
        False,
        "with --trace-plan: exit non-zero on hidden-dependency or no-signal risks",
        ini=False,
    ),
    Option(
        "apply",
        "apply",
        "bool",
        False,
        "write the accepted change into the source files when it passes every tagged "
        "test, holdouts included",
        ini=False,
    ),
    Option(
        "resume",
        "resume",
        "bool",
        False,
        "continue an interrupted optimization from its checkpoint",
        ini=False,
    ),
    Option("rounds", "rounds", "int", 5, "optimization rounds at most", minimum=1),
    Option("optimizer", "optimizer", "choice", "OptoPrime", "Trace optimizer", choices=OPTIMIZERS),
    Option(
        "candidates",
        "candidates",
        "int",
        1,
        "candidates asked per round (each at a higher temperature), all evaluated, best kept",
        minimum=1,
    ),
    Option(
        "llm",
        "llm",
        "str",
        "local",
        "'local' (embedded Qwen2.5-Coder via llama.cpp) or a LiteLLM model string, "
        "e.g. openai/gpt-4o-mini",
    ),
    Option(
        "llm-model-path",
        "llm_model_path",
        "path",
        None,
        "GGUF file for --trace-llm local (default: the fetched Qwen2.5-Coder-1.5B)",
    ),
    Option(
        "llm-base-url",
        "llm_base_url",
        "str",
        None,
        "base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1",
    ),
    Option(
        "llm-temperature",
        "llm_temperature",
        "float",
        0.0,
        "sampling temperature of the first attempt (retries raise it)",
        minimum=0.0,
    ),
    Option(
        "llm-max-tokens",
        "llm_max_tokens",
        "int",
        1024,
        "completion tokens per LLM call",
        minimum=16,
    ),
    Option(
        "llm-json-mode",
        "llm_json_mode",
        "choice",
        "off",
        "ask the LLM for a JSON object (grammar-constrained on local models)",
        choices=ON_OFF,
    ),
    Option("llm-timeout", "llm_timeout", "float", 180.0, "seconds per LLM call", minimum=0.1),
    Option("cassette", "cassette", "path", None, "record/replay file of LLM calls"),
    Option(
        "record-mode",
        "record_mode",
        "choice",
        "once",
        "cassette mode: none (replay only), once, new, all",
        choices=RECORD_MODES,
    ),
    Option("max-llm-calls", "max_llm_calls", "int", None, "budget: LLM calls", minimum=1),
    Option(
        "max-tokens", "max_tokens", "int", None, "budget: prompt + completion tokens", minimum=1
    ),
    Option(
        "timeout",
        "timeout",
        "float",
        None,
        "budget: wall-clock seconds for the whole optimization",
        minimum=1.0,
    ),
    Option(
        "test-timeout",
        "test_timeout",
        "float",
        5.0,
        "seconds per test inside an evaluation",
        minimum=0.1,
    ),
    Option(
        "eval-timeout",
        "eval_timeout",
        "float",
        600.0,
        "seconds per evaluation child process",
        minimum=1.0,
    ),
    Option(
        "memory-limit",
        "memory_limit",
        "int",
        4096,
        "address-space limit of an evaluation child, MiB (0: none)",
        minimum=0,
    ),
    Option(
        "cpu-limit",
        "cpu_limit",
        "int",
        600,
        "CPU-time limit of an evaluation child, seconds (0: none)",
        minimum=0,
    ),
    Option(
        "sandbox",
        "sandbox",
        "choice",
        "on",
        "run evaluations in a private copy of the rootdir, so that candidate code "
        "cannot touch the project's files through relative paths",
        choices=ON_OFF,
    ),
    Option("patch", "patch", "path", None, "write the proposed change as a patch file"),
    Option("report-json", "report_json", "path", None, "write the JSON report"),
    Option("seed", "seed", "int", 0, "seed for the LLM and the order of retries", minimum=0),
    Option(
        "patch-dir",
        "patch_dir",
        "path",
        None,
        "write one patch per changed target into this directory (paths relative to the git "
        "repository root)",
    ),
    Option(
        "report-html",
        "report_html",
        "path",
        None,
        "write a self-contained HTML report (diffs, a plot of tests passed per round, the "
        "feedback and replies)",
    ),
    Option(
        "github",
        "github",
        "choice",
        "on",
        "under GitHub Actions (GITHUB_ACTIONS=true): append a job summary to "
        "$GITHUB_STEP_SUMMARY and annotate the changed lines",
        choices=ON_OFF,
    ),
    Option(
        "fail-on-proposal",
        "fail_on_proposal",
        "bool",
        False,
        "exit with status 1 when a change was proposed but not applied (for CI gating)",
    ),
)

_BY_FIELD = {option.field: option for option in OPTIONS}


@dataclass(frozen=True)
class Settings:
    optimize: bool = False
    plan: bool = False
    strict: bool = False
    apply: bool = False
    resume: bool = False
    rounds: int = 5
    optimizer: str = "OptoPrime"
    candidates: int = 1
    llm: str = "local"
    llm_model_path: Path | None = None
    llm_base_url: str | None = None
    llm_temperature: float = 0.0
    llm_max_tokens: int = 1024
    llm_json_mode: str = "off"
    llm_timeout: float = 180.0
    cassette: Path | None = None
    record_mode: str = "once"
    max_llm_calls: int | None = None
    max_tokens: int | None = None
    timeout: float | None = None
    test_timeout: float = 5.0
    eval_timeout: float = 600.0
    memory_limit: int = 4096
    cpu_limit: int = 600
    sandbox: str = "on"
    patch: Path | None = None
    report_json: Path | None = None
    seed: int = 0
    patch_dir: Path | None = None
    report_html: Path | None = None
    github: str = "on"
    fail_on_proposal: bool = False

    @property
    def active(self) -> bool:
        return self.optimize or self.plan

    def child_limits(self) -> ChildLimits:
        return ChildLimits(
            test_timeout=self.test_timeout,
            memory_limit_mb=self.memory_limit,
            cpu_limit_s=self.cpu_limit,
            max_repr=MAX_REPR,
            max_calls_per_test=MAX_CALLS_PER_TEST,
        )

    def budget_text(self) -> str:
        parts = [f"{self.rounds} rounds"]
        if self.max_llm_calls is not None:
            parts.append(f"{self.max_llm_calls} LLM calls")
        if self.max_tokens is not None:
            parts.append(f"{self.max_tokens} tokens")
        if self.timeout is not None:
            parts.append(f"{self.timeout:g} s")
        return ", ".join(parts)


assert {f.name for f in dataclasses.fields(Settings)} == set(_BY_FIELD), "options table drift"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("trace-opt", "optimize trainable code with Microsoft Trace")
    for option in OPTIONS:
        default_text = "off" if option.kind == "bool" else f"{option.default}"
        help_text = f"{option.help} (default: {default_text})"
        if option.kind == "bool":
            group.addoption(
                option.cli, action="store_true", default=None, dest=option.dest, help=help_text
            )
        else:
            metavar = "|".join(option.choices) if option.choices else option.kind.upper()
            group.addoption(
                option.cli,
                action="store",
                default=None,
                dest=option.dest,
                metavar=metavar,
                help=help_text,
            )
        if option.ini:
            parser.addini(
                option.ini_name,
                f"{option.help} (mirror of {option.cli})",
                type="string",
                default=None,
            )


def _convert(option: Option, raw: Any, source: str) -> Any:
    def fail(allowed: str) -> pytest.UsageError:
        return pytest.UsageError(f"{source}: invalid value {raw!r}; expected {allowed}")

    if raw is None:
        return option.default
    if option.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise fail("true or false")
    text = str(raw).strip()
    if option.kind == "choice":
        for choice in option.choices:
            if text.lower() == choice.lower():
                return choice
        raise fail("one of " + ", ".join(option.choices))
    if option.kind in ("int", "float"):
        cast: Callable[[str], Any] = int if option.kind == "int" else float
        try:
            value = cast(text)
        except ValueError:
            raise fail(f"a{'n integer' if option.kind == 'int' else ' number'}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise fail("a finite number")
        if option.minimum is not None and value < option.minimum:
            raise fail(f"a number >= {option.minimum:g}")
        return value
    if text == "":
        raise fail("a non-empty value")
    if option.kind == "path":
        return Path(text)
    return text


def read_settings(config: pytest.Config) -> Settings:
    """Command line first, then the ini file, then the default; bad values raise UsageError."""
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = config.getoption(option.dest, default=None)
        source = option.cli
        if raw is None and option.ini:
            ini_value = config.getini(option.ini_name)
            if ini_value not in (None, ""):
                raw, source = ini_value, f"ini setting {option.ini_name}"
        value = _convert(option, raw, source)
        if option.kind == "path" and value is not None and not value.is_absolute():
            base = config.invocation_params.dir if source == option.cli else config.rootpath
            value = (base / value).resolve()
        values[option.field] = value
    settings = Settings(**values)
    if settings.strict and not settings.plan:
        raise pytest.UsageError("--trace-strict only applies to --trace-plan")
    if settings.optimize and settings.plan:
        raise pytest.UsageError("--trace-optimize and --trace-plan are exclusive: pick one")
    if (settings.apply or settings.resume) and not settings.optimize:
        raise pytest.UsageError("--trace-apply and --trace-resume need --trace-optimize")
    return settings
