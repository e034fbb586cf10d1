"""Trace's own trainables inside an evaluation child: ``@bundle(trainable=True)`` and
``node(..., trainable=True)`` (including those inside ``@model`` classes).

Patched only in evaluation children, and only once ``opto.trace`` is imported by the
code under test, so projects that use just ``trainable`` never load Trace there.
What the patches do: give each trainable a stable key (its file and qualname, or the
file and line of the ``node(...)`` call), substitute the candidate value, record calls
and reads for feedback, let bundles see live module globals (``monkeypatch``), and
keep Trace's global graph from growing across tests.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import linecache
import re
import sys
import weakref
from types import FrameType, ModuleType
from typing import Any

from pytest_trace_opt.child.runtime import Runtime, function_source, target_key
from pytest_trace_opt.child.steps import exec_source
from pytest_trace_opt.protocol import TargetInfo

_runtime: Runtime | None = None
_parameters: weakref.WeakSet[Any] = weakref.WeakSet()
_INTERNAL = re.compile(r"[/\\](opto|pytest_trace_opt)[/\\]")
_ASSIGN = re.compile(r"^\s*(?:[\w.]+\.)?(\w+)\s*(?::[^=]+)?=\s*(?:[\w.]+\.)?node\s*\(")


def install(runtime: Runtime) -> None:
    global _runtime
    _runtime = runtime
    if "opto.trace" in sys.modules:
        _patch()
    elif not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches ``opto.trace`` right after it is first imported."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "opto.trace":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        original_exec = loader.exec_module  # type: ignore[attr-defined]

        def exec_module(module: ModuleType) -> None:
            original_exec(module)
            _patch()

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _creation_site() -> FrameType | None:
    frame = sys._getframe(2)
    while frame is not None and _INTERNAL.search(frame.f_code.co_filename):
        frame = frame.f_back  # type: ignore[assignment]
    return frame


def _patch() -> None:
    from opto.trace.bundle import FunModule

    if getattr(FunModule, "_trace_opt_patched", False):
        return
    FunModule._trace_opt_patched = True  # type: ignore[attr-defined]
    runtime = _runtime
    assert runtime is not None
    _patch_parameters(runtime)
    _patch_bundles(runtime)


def _value_target(runtime: Runtime, value: Any, name: Any, description: Any) -> TargetInfo | None:
    """The target of a ``node(..., trainable=True)`` being created, keyed by its call site."""
    frame = _creation_site()
    if frame is None:
        return None
    filename, line = frame.f_code.co_filename, frame.f_lineno
    match = _ASSIGN.match(linecache.getline(filename, line))
    label = name or (match.group(1) if match else "node")
    relpath = runtime.relpath(filename)
    return runtime.register(
        TargetInfo(
            key=f"{relpath}::{label}@{line}",
            kind="value",
            name=label,
            file=relpath,
            line=line,
            original=value,
            description=description or "",
            origin="node",
        )
    )


def _patch_parameters(runtime: Runtime) -> None:
    """Trainable nodes get a key and the candidate value; reads of ``.data`` are recorded."""
    from opto.trace.nodes import Node, ParameterNode

    original_init = ParameterNode.__init__

    def parameter_init(self: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        name = kwargs.get("name")
        if name != "__code" and kwargs.get("trainable", True):
            info = _value_target(runtime, value, name, kwargs.get("description"))
            if info is not None:
                if info.key in runtime.candidate:
                    value = runtime.candidate[info.key]
                self.__dict__["_trace_opt_key"] = info.key
        original_init(self, value, *args, **kwargs)
        _parameters.add(self)

    ParameterNode.__init__ = parameter_init  # type: ignore[method-assign]

    base_data = Node.data

    def parameter_data(self: Any) -> Any:
        key = self.__dict__.get("_trace_opt_key")
        if key is not None and runtime.current is not None:
            runtime.current.use(key)
        return base_data.fget(self)  # type: ignore[misc]

    ParameterNode.data = property(parameter_data)  # type: ignore[assignment,method-assign]


def _patch_bundles(runtime: Runtime) -> None:
    """Trainable bundles run the candidate code, see live globals, and record their calls."""
    from opto.trace.bundle import FunModule
    from opto.trace.errors import ExecutionError
    from opto.trace.nodes import Node

    original_forward = FunModule.forward

    def forward(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.parameter is None:
            return original_forward(self, *args, **kwargs)
        info = _bundle_target(runtime, self)
        ldict = self._ldict
        if ldict and ldict.get("__name__") == getattr(self._fun, "__module__", None):
            # A module-level bundle snapshots the module globals at decoration time;
            # dropping the snapshot makes monkeypatched globals visible.
            self._ldict = {}
        code = runtime.candidate.get(info.key)
        if code and self.parameter._data != code:
            self.parameter._data = code

        def bind() -> dict[str, Any]:
            names = list(self.info["signature"].parameters)
            values = [a.data if isinstance(a, Node) else a for a in args]
            bound = dict(zip(names, values, strict=False))
            bound.update({k: v.data if isinstance(v, Node) else v for k, v in kwargs.items()})
            return {k: v for k, v in bound.items() if k not in ("self", "cls")}

        record = runtime.begin_call(info, bind)
        # Trace exec's the source on every call: its code is watched by file and name.
        runtime.lines.watch_by_name("<string>", info.function_name or "", info.key, info.line - 1)
        runtime.lines.enter()
        try:
            with exec_source(str(self.parameter._data)):
                output = original_forward(self, *args, **kwargs)
        except ExecutionError as exc:
            inner = exc.exception_node.data
            runtime.end_call(record, exc=inner if isinstance(inner, BaseException) else exc)
            raise
        except BaseException as exc:
            runtime.end_call(record, exc=exc)
            raise
        finally:
            runtime.lines.exit()
        runtime.end_call(record, result=output.data if isinstance(output, Node) else output)
        return output

    FunModule.forward = forward  # type: ignore[method-assign]


def _bundle_target(runtime: Runtime, fun_module: Any) -> TargetInfo:
    cached = fun_module.__dict__.get("_trace_opt_info")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    fun = fun_module._fun
    relpath = runtime.relpath(fun_module.info["file"])
    qualname = fun.__qualname__
    line, source = int(fun_module.info["line_number"]), fun_module.info["source"]
    try:  # Trace dedents a method's ``def`` line but not its body: the file's text instead
        own, own_line = function_source(fun)
        source = own if own_line == line else source
    except (OSError, TypeError, SyntaxError, AssertionError):
        pass
    info = runtime.register(
        TargetInfo(
            key=target_key(relpath, qualname),
            kind="code",
            name=qualname,
            file=relpath,
            line=line,
            original=source,
            function_name=fun.__name__,
            is_method="." in qualname and "<locals>" not in qualname,
            description=fun_module.info.get("doc") or "",
            origin="bundle",
        )
    )
    fun_module.__dict__["_trace_opt_info"] = info
    return info


def key_of(obj: Any) -> str | None:
    """The key of a trainable object named in a marker, or None."""
    target = getattr(obj, "__trace_opt_target__", None)
    if target is not None:
        return target.key  # type: ignore[no-any-return]
    if "opto.trace" not in sys.modules or _runtime is None:
        return None
    from opto.trace.bundle import FunModule
    from opto.trace.nodes import ParameterNode

    if isinstance(obj, FunModule) and obj.parameter is not None:
        return _bundle_target(_runtime, obj).key
    if isinstance(obj, ParameterNode):
        return obj.__dict__.get("_trace_opt_key")  # type: ignore[no-any-return]
    return None


def reset_graph() -> None:
    """Forget the graph a test recorded (Trace's GRAPH.clear() alone frees nothing)."""
    if "opto.trace.nodes" not in sys.modules:
        return
    from opto.trace.nodes import GRAPH

    for parameter in list(_parameters):
        parameter._children.clear()
        parameter.zero_feedback()
    GRAPH.clear()
