"""The one place that builds an :class:`Evaluator` from pytest's configuration."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_trace_opt.core import walls
from pytest_trace_opt.core.evaluator import Evaluator, forwarded_args
from pytest_trace_opt.core.sandbox import Sandbox, SandboxTooLarge
from pytest_trace_opt.secrets import parse_passthrough
from pytest_trace_opt.settings import Settings

_OUR_NAMES = ("trace_opt", "pytest_trace_opt.plugin", "pytest_trace_opt")


def _loads_us(value: str) -> bool:
    return value.strip() in _OUR_NAMES


def plugin_args(config: pytest.Config, user_args: list[str]) -> list[str]:
    """How a child loads this plugin: the way the user's run did (autoload, ``-p`` in the
    forwarded arguments, ``PYTEST_PLUGINS``), and only otherwise by an explicit ``-p``;
    loading it twice under two names fails in pytest."""
    autoload = not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    registered = [
        name
        for name, plugin in config.pluginmanager.list_name_plugin()
        if getattr(plugin, "__name__", None) == "pytest_trace_opt.plugin"
    ]
    if autoload and registered == ["trace_opt"]:
        return []
    values = [a[2:] if a.startswith("-p") and a != "-p" else "" for a in user_args]
    values += [b for a, b in zip(user_args, user_args[1:], strict=False) if a == "-p"]
    if any(_loads_us(v) for v in values):
        return []
    if any(_loads_us(v) for v in os.environ.get("PYTEST_PLUGINS", "").split(",")):
        return []
    return ["-p", "pytest_trace_opt.plugin"]


def build_evaluator(
    config: pytest.Config,
    settings: Settings,
    *,
    use_sandbox: bool,
    warn: Callable[[str], None],
) -> tuple[Evaluator, Sandbox | None]:
    """The evaluator of this session and the sandbox it runs in (the caller cleans it up).

    A project too large to copy is evaluated in place, with a warning."""
    sandbox = None
    if use_sandbox and settings.sandbox != "off":
        try:
            sandbox = Sandbox(Path(config.rootpath))
        except SandboxTooLarge as exc:
            warn(f"trace-opt: evaluating in the project itself, not a private copy: {exc}")
    bwrap = _bwrap_for(settings, sandbox, warn) if use_sandbox else None
    # Children get the options the user's pytest saw, PYTEST_ADDOPTS first as pytest reads
    # it; the variable itself is not passed on (it could name files to write, or -x).
    addopts = shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    user_args = forwarded_args([*addopts, *config.invocation_params.args])
    evaluator = Evaluator(
        sandbox=sandbox,
        rootdir=Path(config.rootpath),
        plugin_args=plugin_args(config, user_args),
        user_args=user_args,
        limits=settings.child_limits(),
        eval_timeout=settings.eval_timeout,
        env_passthrough=parse_passthrough(settings.env_passthrough),
        bwrap=bwrap,
    )
    return evaluator, sandbox


def _bwrap_for(
    settings: Settings, sandbox: Sandbox | None, warn: Callable[[str], None]
) -> str | None:
    """bubblewrap's path when the children get walls; the fallback is said once."""
    if settings.sandbox not in ("on", "strict"):
        return None
    found = walls.probe()
    if found.bwrap is not None and sandbox is not None:
        return found.bwrap
    reason = found.reason if found.bwrap is None else "no private copy"
    if settings.sandbox == "strict":
        raise pytest.UsageError(f"trace-opt: --trace-sandbox strict, but {reason}")
    warn(
        f"trace-opt: evaluations run without walls ({reason}): candidate code can reach the "
        "project by absolute path; install bubblewrap, or --trace-sandbox copy to accept that"
    )
    return None


def sandbox_text(mode: str) -> str:
    """Where evaluation children run, for the header (bubblewrap is probed once)."""
    if mode == "off":
        return "the project itself (--trace-sandbox off)"
    if mode == "copy":
        return "a private copy without walls (--trace-sandbox copy)"
    found = walls.probe()
    if found.strict:
        return f"a private copy inside {found.describe()}"
    return f"a {found.describe()}"
