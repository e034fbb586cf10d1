"""Options of the plugin: one table drives ``--trace-…`` flags, typed ini mirrors and
validation. Every default is written once, as a :class:`Settings` field (the LLM's as
:class:`~pytest_trace_opt.llm.config.LLMConfig` fields); the LLM config and the limits a
child applies are derived here. pytest is imported only where options are read."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_trace_opt.llm.config import RECORD_MODES, LLMConfig
from pytest_trace_opt.protocol import ChildLimits

if TYPE_CHECKING:
    import pytest

_LLM = LLMConfig()  # the LLM defaults

OPTIMIZERS = ("Repair", "OptoPrime", "OPRO", "TextGrad", "OptoPrimeMulti")
# Bounds on what a child records per test; the optimizer's graph and the plan read them.
MAX_REPR = 300  # characters of one argument or output repr
MAX_CALLS_PER_TEST = 6  # calls to trainables recorded per test
ON_OFF = ("on", "off")
SANDBOX_MODES = ("on", "strict", "copy", "off")


@dataclass(frozen=True)
class Option:
    """One setting: ``--trace-<flag>`` on the command line, ``trace_<flag>`` in the ini file."""

    flag: str
    field: str
    kind: str  # bool | int | float | str | path | choice
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    ini: bool = True  # action switches are command line only, on purpose
    default_text: str = ""  # how the default is said when it is resolved at run time

    @property
    def cli(self) -> str:
        return f"--trace-{self.flag}"

    @property
    def ini_name(self) -> str:
        return "trace_" + self.flag.replace("-", "_")

    @property
    def dest(self) -> str:
        return "trace_" + self.field

    @property
    def default(self) -> Any:
        """Written once, as the default of the :class:`Settings` field."""
        return _DEFAULTS[self.field]

    @property
    def default_shown(self) -> str:
        if self.kind == "bool":
            return "off"
        return self.default_text or f"{self.default}"


OPTIONS: tuple[Option, ...] = (
    Option(
        "optimize",
        "optimize",
        "bool",
        "optimize the trainables of tests tagged @pytest.mark.trainable",
        ini=False,
    ),
    Option(
        "plan",
        "plan",
        "bool",
        "describe what would be optimized and its risks, without calling an LLM",
        ini=False,
    ),
    Option(
        "strict",
        "strict",
        "bool",
        "with --trace-plan: exit non-zero on hidden-dependency or no-signal risks",
        ini=False,
    ),
    Option(
        "apply",
        "apply",
        "bool",
        "write the accepted change into the source files when it passes every tagged test, "
        "holdouts included",
        ini=False,
    ),
    Option(
        "resume",
        "resume",
        "bool",
        "continue an interrupted optimization from its checkpoint",
        ini=False,
    ),
    Option("rounds", "rounds", "int", "optimization rounds at most", minimum=1),
    Option("optimizer", "optimizer", "choice", "Trace optimizer", choices=OPTIMIZERS),
    Option(
        "candidates",
        "candidates",
        "int",
        "candidates asked per round once the first attempt missed (warmer), all evaluated,"
        " best kept",
        minimum=1,
        default_text="3 where samples share one prompt evaluation (Repair with the local"
        " model: one call), else 1 (each candidate is a call)",
    ),
    Option(
        "edit-search",
        "edit_search",
        "int",
        "small edits per trainable (`<` for `<=`, a bound +-1, `and` for `or`, a reversed"
        " loop, swapped arguments, ...) of its suspicious lines, tried before the first LLM"
        " call, and of the lines an LLM candidate changed when it fell short (a quarter as"
        " many); 0: none",
        minimum=0,
    ),
    Option(
        "llm",
        "llm",
        "str",
        "'local' (embedded Qwen2.5-Coder via llama.cpp) or a LiteLLM model string, e.g. "
        "openai/gpt-4o-mini",
    ),
    Option(
        "llm-model-path",
        "llm_model_path",
        "path",
        "GGUF file for --trace-llm local (default: the fetched Qwen2.5-Coder-1.5B)",
    ),
    Option(
        "llm-base-url",
        "llm_base_url",
        "str",
        "base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1",
    ),
    Option(
        "llm-temperature",
        "llm_temperature",
        "float",
        "sampling temperature of the first attempt (retries raise it)",
        minimum=0.0,
        maximum=2.0,
    ),
    Option("llm-max-tokens", "llm_max_tokens", "int", "completion tokens per LLM call", minimum=16),
    Option(
        "llm-json-mode",
        "llm_json_mode",
        "choice",
        "ask the LLM for a JSON object (grammar-constrained on local models)",
        choices=ON_OFF,
    ),
    Option(
        "llm-timeout",
        "llm_timeout",
        "float",
        "seconds per LLM call, the whole call however slowly the reply comes (and never past"
        " --trace-timeout)",
        minimum=0.1,
    ),
    Option("cassette", "cassette", "path", "record/replay file of LLM calls"),
    Option(
        "record-mode",
        "record_mode",
        "choice",
        "cassette mode: none (replay only), once, new, all",
        choices=RECORD_MODES,
    ),
    Option("max-llm-calls", "max_llm_calls", "int", "budget: LLM calls", minimum=1),
    Option("max-tokens", "max_tokens", "int", "budget: prompt + completion tokens", minimum=1),
    Option(
        "timeout",
        "timeout",
        "float",
        "budget: wall-clock seconds for the whole optimization, from its start (round 0's "
        "tests, the edit search, LLM calls, evaluations) to the last round; loading Trace, "
        "LiteLLM and the local model is not counted (it starts while round 0 runs), nor is "
        "the final check",
        minimum=1.0,
    ),
    Option(
        "test-timeout",
        "test_timeout",
        "float",
        "seconds per test inside an evaluation",
        minimum=0.1,
    ),
    Option(
        "eval-timeout", "eval_timeout", "float", "seconds per evaluation child process", minimum=1.0
    ),
    Option(
        "memory-limit",
        "memory_limit",
        "int",
        "address-space limit of an evaluation child, MiB (0: none)",
        minimum=0,
    ),
    Option(
        "cpu-limit",
        "cpu_limit",
        "int",
        "CPU-time limit of an evaluation child, seconds (0: none)",
        minimum=0,
    ),
    Option(
        "sandbox",
        "sandbox",
        "choice",
        "where evaluations run: on = a private copy of the rootdir, walled in by bubblewrap "
        "where it works (read-only filesystem, no network, own PID namespace), else the copy "
        "alone with a warning; strict = the walls or a usage error; copy = the copy without "
        "walls; off = the project itself",
        choices=SANDBOX_MODES,
    ),
    Option(
        "env-passthrough",
        "env_passthrough",
        "str",
        "credential variables (names like *_API_KEY, *_TOKEN, *_SECRET) that test processes"
        " may still see, separated by commas",
    ),
    Option("patch", "patch", "path", "write the proposed change as a patch file"),
    Option("report-json", "report_json", "path", "write the JSON report"),
    Option("seed", "seed", "int", "seed for the LLM and the order of retries", minimum=0),
    Option(
        "patch-dir",
        "patch_dir",
        "path",
        "write one patch per changed target into this directory (paths relative to the git "
        "repository root)",
    ),
    Option(
        "report-html",
        "report_html",
        "path",
        "write a self-contained HTML report (diffs, a plot of tests passed per round, the feedback"
        " and replies)",
    ),
    Option(
        "github",
        "github",
        "choice",
        "under GitHub Actions (GITHUB_ACTIONS=true): append a job summary to $GITHUB_STEP_SUMMARY "
        "and annotate the changed lines",
        choices=ON_OFF,
    ),
    Option(
        "fail-on-proposal",
        "fail_on_proposal",
        "bool",
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
    optimizer: str = "Repair"
    candidates: int | None = None  # None: by the LLM (see the option's help)
    edit_search: int = 40
    llm: str = _LLM.model
    llm_model_path: Path | None = None
    llm_base_url: str | None = _LLM.base_url
    llm_temperature: float = _LLM.temperature
    llm_max_tokens: int = _LLM.max_tokens
    llm_json_mode: str = "on" if _LLM.json_mode else "off"
    llm_timeout: float = _LLM.timeout
    cassette: Path | None = None
    record_mode: str = _LLM.record_mode
    max_llm_calls: int | None = None
    max_tokens: int | None = None
    timeout: float | None = None
    test_timeout: float = 5.0
    eval_timeout: float = 600.0
    memory_limit: int = 4096
    cpu_limit: int = 600
    sandbox: str = "on"
    env_passthrough: str = ""
    patch: Path | None = None
    report_json: Path | None = None
    seed: int = _LLM.seed
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

    def llm_config(self, *, verbose: bool = False) -> LLMConfig:
        """The LLM layer's configuration; the budgets are the session's (see ``llm.budget``)."""
        return LLMConfig(
            model=self.llm,
            model_path=str(self.llm_model_path) if self.llm_model_path else None,
            base_url=self.llm_base_url,
            temperature=self.llm_temperature,
            max_tokens=self.llm_max_tokens,
            json_mode=self.llm_json_mode == "on",
            timeout=self.llm_timeout,
            cassette=str(self.cassette) if self.cassette else None,
            record_mode=self.record_mode,
            seed=self.seed,
            verbose=verbose,
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


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Settings)}
assert set(_DEFAULTS) == set(_BY_FIELD), "options table drift"


# pytest's typed ini values (also native TOML types under pytest 9's [tool.pytest]).
_INI_TYPES = {"bool": "bool", "int": "int", "float": "float"}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("trace-opt", "optimize trainable code with Microsoft Trace")
    for option in OPTIONS:
        help_text = f"{option.help} (default: {option.default_shown})"
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
                type=_INI_TYPES.get(option.kind, "string"),  # type: ignore[arg-type]
                default=None,
            )


def _convert(option: Option, raw: Any, source: str) -> Any:
    import pytest

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
        if option.maximum is not None and value > option.maximum:
            raise fail(f"a number <= {option.maximum:g}")
        return value
    if text == "":
        raise fail("a non-empty value")
    if option.kind == "path":
        return Path(text)
    return text


def read_settings(config: pytest.Config) -> Settings:
    """Command line first, then the ini file, then the default; bad values raise UsageError."""
    import pytest

    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = config.getoption(option.dest, default=None)
        source = option.cli
        if raw is None and option.ini:
            try:
                ini_value = config.getini(option.ini_name)
            except (TypeError, ValueError) as exc:  # pytest's own typed conversion
                raise pytest.UsageError(f"ini setting {option.ini_name}: {exc}") from None
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
