"""Inside an evaluation child: run candidate code in place of trainables and record calls.

Candidate code is compiled into a namespace that falls back to the function's real
module globals at lookup time, so ``monkeypatch`` of module globals stays visible,
helper functions and imports the LLM adds just work, and tests see plain return
values and the original exception types (none of ``bundle``'s wrapping).
"""

from __future__ import annotations

import ast
import dis
import functools
import inspect
import linecache
import os
import textwrap
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_trace_opt.child import generators
from pytest_trace_opt.child.coverage import LineRecorder
from pytest_trace_opt.child.equality import check_equality
from pytest_trace_opt.child.steps import Steps
from pytest_trace_opt.protocol import (
    CHILD_ENV,
    CallRecord,
    ChildSpec,
    ProtocolError,
    TargetInfo,
    TestRecord,
)
from pytest_trace_opt.text import bounded_repr


class CandidateDefinitionError(Exception):
    """The candidate code did not define a usable function."""


class TestRecorder:
    """Calls and trainables one test exercised."""

    def __init__(self, max_calls: int) -> None:
        self.max_calls = max_calls
        self.calls: list[CallRecord] = []
        self.used: list[str] = []
        self.dropped_calls = 0
        self.depth = 0
        self.outer: CallRecord | None = None  # the depth-1 call now running
        self.lines: dict[str, set[int]] = {}

    def use(self, key: str) -> None:
        if key not in self.used:
            self.used.append(key)

    def to_record(self) -> TestRecord:
        return TestRecord(
            calls=list(self.calls),
            used=list(self.used),
            dropped_calls=self.dropped_calls,
            lines={key: sorted(lines) for key, lines in self.lines.items()},
        )


class _ModuleChain(dict):  # type: ignore[type-arg]
    """Globals for candidate code: own definitions first, then the live module globals."""

    def __init__(self, module_globals: dict[str, Any]) -> None:
        super().__init__()
        self.module_globals = module_globals
        self["__name__"] = module_globals.get("__name__", "__trace_opt_candidate__")
        self["__builtins__"] = module_globals.get("__builtins__", __builtins__)
        # read with .get() by the import system (a relative import inside the function),
        # which never reaches __missing__
        for key in ("__package__", "__spec__", "__path__", "__file__"):
            if key in module_globals:
                self[key] = module_globals[key]

    def __missing__(self, key: str) -> Any:
        return self.module_globals[key]


class Runtime:
    """Process-wide state of an evaluation child."""

    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.limits = spec.limits
        self.rootdir = Path(spec.rootdir or os.getcwd())
        self.candidate: dict[str, Any] = dict(spec.candidate)
        self.max_repr = spec.limits.max_repr
        self.max_calls = spec.limits.max_calls_per_test
        self.targets: dict[str, TargetInfo] = {}
        self.current: TestRecorder | None = None
        self.steps = Steps()
        self.lines = LineRecorder(self._line_ran, self.steps)

    def _line_ran(self, key: str, line: int) -> None:
        if self.current is not None:
            self.current.lines.setdefault(key, set()).add(line)

    # -- targets -----------------------------------------------------------------------
    def relpath(self, filename: str) -> str:
        """The path relative to the rootdir. A file imported from outside it (an editable
        install of the real tree, when the child runs in a sandbox copy) gets the relative
        path of the copy with the same content; the child is never told the real tree."""
        path = Path(filename).resolve()
        root = self.rootdir.resolve()
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
        parts = path.parts
        for start in range(1, len(parts)):
            copy = root.joinpath(*parts[start:])
            if copy.is_file() and _same_content(copy, path):
                return Path(*parts[start:]).as_posix()
        return path.as_posix()

    def register(self, info: TargetInfo) -> TargetInfo:
        return self.targets.setdefault(info.key, info)

    def target_infos(self, keys: list[str]) -> list[TargetInfo]:
        return [self.targets[k] for k in keys if k in self.targets]

    def begin_test(self) -> TestRecorder:
        self.current = TestRecorder(self.max_calls)
        self.lines.begin_test()
        return self.current

    def end_test(self) -> TestRecorder | None:
        recorder, self.current = self.current, None
        return recorder

    # -- calls ---------------------------------------------------------------------------
    def begin_call(
        self, target: TargetInfo, bind: Callable[[], dict[str, Any]]
    ) -> CallRecord | None:
        recorder = self.current
        if recorder is None:
            return None
        recorder.use(target.key)
        recorder.depth += 1
        if recorder.depth == 1:
            self.steps.begin(None)  # until this call has a record
        if recorder.depth > 1:  # inner (recursive) calls: the outer call tells the story
            self._note_recursion(recorder, target, bind)
            return None
        if len(recorder.calls) >= recorder.max_calls:
            recorder.dropped_calls += 1
            return None
        try:
            bound = bind()
        except Exception:
            bound = {}
        args = {name: bounded_repr(v, self.max_repr) for name, v in bound.items()}
        types_ = {name: type(v).__name__ for name, v in bound.items()}
        record = CallRecord(key=target.key, function=target.name, args=args, types=types_)
        recorder.calls.append(record)
        recorder.outer = record
        self.steps.begin(record)
        return record

    def suspend_call(self) -> None:
        """A generator trainable yielded: its consumer runs now, not the trainable."""
        if self.current is not None:
            self.current.depth = max(0, self.current.depth - 1)
            if self.current.depth == 0:
                self.current.outer = None
                self.steps.begin(None)

    def resume_call(self, record: CallRecord | None) -> None:
        """A generator trainable runs on from where it yielded (steps are not recorded:
        they interleave with its consumer's)."""
        if self.current is not None:
            self.current.depth += 1
            if self.current.depth == 1 and record is not None:
                self.current.outer = record

    def _note_recursion(
        self, recorder: TestRecorder, target: TargetInfo, bind: Callable[[], dict[str, Any]]
    ) -> None:
        """A call of the outer trainable to itself: how deep, and the first arguments, so
        that the feedback can say when they stop changing."""
        outer = recorder.outer
        if outer is None or outer.key != target.key:
            return
        outer.depth = max(outer.depth, recorder.depth)
        if len(outer.recursion) < 3:
            try:
                bound = bind()
            except Exception:
                return
            outer.recursion.append({n: bounded_repr(v, 80) for n, v in bound.items()})

    def end_call(
        self, record: CallRecord | None, *, result: Any = None, exc: BaseException | None = None
    ) -> None:
        if self.current is not None:
            self.current.depth = max(0, self.current.depth - 1)
            if self.current.depth == 0:
                self.current.outer = None
                self.steps.begin(None)
        if record is None:
            return
        if exc is not None:
            record.exception = (
                f"{type(exc).__name__}: {bounded_repr(str(exc), self.max_repr)[1:-1]}"
            )
        else:
            record.output = bounded_repr(result, self.max_repr)
            record.types["return"] = type(result).__name__


_RUNTIME: Runtime | None = None


def get_runtime() -> Runtime:
    global _RUNTIME
    if _RUNTIME is None:
        spec_path = os.environ.get(CHILD_ENV, "")
        try:
            text = Path(spec_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ProtocolError(f"{CHILD_ENV}={spec_path!r}: no child spec ({exc})") from None
        _RUNTIME = Runtime(ChildSpec.from_json(text))
    return _RUNTIME


def function_source(fn: types.FunctionType) -> tuple[str, int]:
    """Dedented source of ``fn`` from its ``def`` line (decorators dropped), and that line."""
    lines, start = inspect.getsourcelines(fn)
    text = textwrap.dedent("".join(lines))
    tree = ast.parse(text)
    node = tree.body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    body_lines = text.splitlines(keepends=True)[node.lineno - 1 :]
    return textwrap.dedent("".join(body_lines)), start + node.lineno - 1


def target_key(relpath: str, qualname: str) -> str:
    return f"{relpath}::{qualname}"


class CodeSlot:
    """A trainable function inside a child: runs the candidate code when there is one."""

    def __init__(self, fn: types.FunctionType, description: str | None) -> None:
        runtime = get_runtime()
        self.fn = fn
        self.signature = inspect.signature(fn)
        qualname = fn.__qualname__
        try:
            source, line = function_source(fn)
        except (OSError, TypeError, SyntaxError, AssertionError):
            source, line = "", fn.__code__.co_firstlineno
        filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
        relpath = runtime.relpath(filename)
        self.is_method = (
            "." in qualname.replace("<locals>.", "")
            and bool(self.signature.parameters)
            and next(iter(self.signature.parameters)) in ("self", "cls")
        )
        doc = inspect.getdoc(fn) or ""
        self.info = runtime.register(
            TargetInfo(
                key=target_key(relpath, qualname),
                kind="code",
                name=qualname,
                file=relpath,
                line=line,
                original=source,
                function_name=fn.__name__,
                is_method=self.is_method,
                description=description or doc,
                origin="trainable",
                notes=["defined inside a function: a patch cannot be written"]
                if "<locals>" in qualname
                else [],
            )
        )
        self._compiled_for: str | None = None
        self._impl: Callable[..., Any] | None = None
        self._owner: type | None = None
        runtime.lines.watch(fn.__code__, self.info.key)

    def implementation(self, args: tuple[Any, ...]) -> Callable[..., Any]:
        code = get_runtime().candidate.get(self.info.key)
        if not code or code == self.info.original:
            return self.fn
        if self._compiled_for != code or self._impl is None:
            self._impl = self._compile(code, args)
            self._compiled_for = code
        return self._impl

    def _defining_class(self, args: tuple[Any, ...]) -> type | None:
        if not self.is_method or not args:
            return None
        owner = args[0] if isinstance(args[0], type) else type(args[0])
        class_name = self.fn.__qualname__.split(".")[-2]
        for klass in owner.__mro__:
            if klass.__name__ == class_name and self.fn.__name__ in klass.__dict__:
                return klass
        return None

    def _compile(self, code: str, args: tuple[Any, ...]) -> Callable[..., Any]:
        name = self.fn.__name__
        filename = f"<trace-opt candidate {self.fn.__qualname__}>"
        owner = self._defining_class(args)
        source = code
        first_line = self.info.line  # line k of the candidate stands for file line first+k-1
        if owner is not None:
            # Compile inside a class of the same name so that self.__x mangles as in the
            # original; the __class__ cell is pointed at the real class for super().
            source = f"class {owner.__name__}:\n" + textwrap.indent(code, "    ")
            first_line -= 1
        # Tracebacks, timeouts and recorded lines then speak of the real file's lines.
        source = "\n" * max(0, first_line - 1) + source
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = _ModuleChain(self.fn.__globals__)
        try:
            # dont_inherit: this module's ``from __future__ import annotations`` would leave
            # the candidate's annotations unevaluated here but not in the file it is written to
            exec(compile(source, filename, "exec", dont_inherit=True), namespace)
        except BaseException as exc:  # SystemExit and friends at definition time too
            raise CandidateDefinitionError(
                f"the candidate for {self.fn.__qualname__} could not be defined: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if owner is not None:
            # The stand-in class must not shadow the real one: ``isinstance(other, Vec)`` and
            # ``Vec(...)`` in the method mean the module's class, as in the original.
            impl = dict.pop(namespace, owner.__name__).__dict__.get(name)
            if isinstance(impl, (staticmethod, classmethod)):
                impl = impl.__func__
            if isinstance(impl, types.FunctionType) and impl.__closure__:
                for var, cell in zip(impl.__code__.co_freevars, impl.__closure__, strict=True):
                    if var == "__class__":
                        cell.cell_contents = owner
        else:
            impl = dict.get(namespace, name)
        if isinstance(impl, types.FunctionType) and _stores_globals(impl.__code__):
            impl = _with_module_globals(impl, namespace, self.fn.__globals__)
        if not callable(impl):
            raise CandidateDefinitionError(
                f"the candidate for {self.fn.__qualname__} does not define {name}()"
            )
        code_object = getattr(impl, "__code__", None)
        if isinstance(code_object, types.CodeType):
            get_runtime().lines.watch(code_object, self.info.key)
        return impl  # type: ignore[no-any-return]

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Callable[[], dict[str, Any]]:
        def bound() -> dict[str, Any]:
            arguments = self.signature.bind(*args, **kwargs).arguments
            return {k: v for k, v in arguments.items() if k not in ("self", "cls")}

        return bound


def _stores_globals(code: types.CodeType) -> bool:
    """Whether ``code`` assigns a module global (``global counter; counter += 1``)."""
    return any(i.opname in ("STORE_GLOBAL", "DELETE_GLOBAL") for i in dis.get_instructions(code))


def _with_module_globals(
    impl: types.FunctionType, namespace: dict[str, Any], module: dict[str, Any]
) -> types.FunctionType:
    """``impl`` bound to the module's own globals, so that its ``global`` assignments change
    the module as the original's do (in the candidate's namespace they would change nothing
    the tests can see); the helpers and imports the candidate added go along, where the module
    has no such name."""
    for key, value in dict.items(namespace):
        if not key.startswith("__") and key != impl.__name__ and key not in module:
            module[key] = value
    rebound = types.FunctionType(
        impl.__code__, module, impl.__name__, impl.__defaults__, impl.__closure__
    )
    rebound.__kwdefaults__ = impl.__kwdefaults__
    rebound.__qualname__ = impl.__qualname__
    return rebound


def candidate_function(fn: types.FunctionType, description: str | None) -> Callable[..., Any]:
    """The wrapper ``trainable`` returns inside an evaluation child."""
    slot = CodeSlot(fn, description)
    runtime = get_runtime()

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def trainable_generator_call(*args: Any, **kwargs: Any) -> Any:
            impl = slot.implementation(args)
            inner = impl(*args, **kwargs)  # runs nothing yet: bad arguments raise here
            if not inspect.isgenerator(inner):
                return inner
            record = runtime.begin_call(slot.info, slot.bind(args, kwargs))
            runtime.suspend_call()
            return generators.recorded(
                inner, runtime, record, lambda value: check_equality(fn, impl, value)
            )

        trainable_generator_call.__trace_opt_target__ = slot.info  # type: ignore[attr-defined]
        return trainable_generator_call

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def trainable_async_call(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True  # pytest shows the code under test, not this frame
            impl = slot.implementation(args)
            record = runtime.begin_call(slot.info, slot.bind(args, kwargs))
            runtime.lines.enter()
            try:
                result = await impl(*args, **kwargs)
            except BaseException as exc:
                runtime.end_call(record, exc=exc)
                raise
            finally:
                runtime.lines.exit()
            runtime.end_call(record, result=result)
            check_equality(fn, impl, result)
            return result

        trainable_async_call.__trace_opt_target__ = slot.info  # type: ignore[attr-defined]
        return trainable_async_call

    @functools.wraps(fn)
    def trainable_call(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # pytest shows the code under test, not this frame
        impl = slot.implementation(args)
        record = runtime.begin_call(slot.info, slot.bind(args, kwargs))
        runtime.lines.enter()
        try:
            result = impl(*args, **kwargs)
        except BaseException as exc:
            runtime.end_call(record, exc=exc)
            raise
        finally:
            runtime.lines.exit()
        runtime.end_call(record, result=result)
        check_equality(fn, impl, result)
        return result

    trainable_call.__trace_opt_target__ = slot.info  # type: ignore[attr-defined]
    return trainable_call


def _same_content(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False
