"""``--trace-plan`` analysis: what would be optimized, from which signal, and what could go wrong.

Pure functions over data (the targets and test results of two ordinary isolated runs,
the source texts of the files involved), so the analysis is testable without pytest
processes. :func:`build_plan` returns a JSON-serializable dict; :func:`plan_lines` renders
it for a terminal of 100 columns; :func:`strict_risks` lists the risks that make
``--trace-plan --trace-strict`` fail.

Static facts come from the code itself: :mod:`symtable` for the names a trainable reads
that are not its parameters, locals or builtins (module globals, closures), :mod:`ast` for
what those names are bound to, for calls (recursion, nested trainables, fixed helpers) and
for ``super()`` and name-mangled attributes.
"""

from __future__ import annotations

import ast
import builtins
import posixpath
import symtable
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_trace_opt.patch import NotALiteralError, SourceError, locate_node_literal
from pytest_trace_opt.settings import MAX_CALLS_PER_TEST as MAX_SHOWN_CALLS

WIDTH = 100
MAX_CODE_LINES = 40  # a trainable function longer than this is too broad a surface
MAX_TRAINABLES_PER_TEST = 3  # a test exercising more cannot attribute its failure
MAX_IDS = 6  # test ids listed per state
MAX_RISKS_PER_KIND = 5

# Risk kinds; the first two make --trace-strict fail.
HIDDEN = "hidden-dependency"
NO_SIGNAL = "no-signal"
BROAD = "broad-surface"
GRAPH = "graph-size"
NESTED = "nested-trainable"
CLASS_CONTEXT = "super-or-mangled"
RECURSION = "recursion"
STRICT_KINDS = (HIDDEN, NO_SIGNAL)

RISK_TITLES = {
    HIDDEN: "hidden dependency",
    NO_SIGNAL: "no repeatable signal",
    BROAD: "surface too broad",
    GRAPH: "graph size",
    NESTED: "nested trainable",
    CLASS_CONTEXT: "class context",
    RECURSION: "recursion",
}

_BUILTINS = frozenset(dir(builtins))
_PASSING = ("passed", "xfailed")
_INFRA_EXCEPTIONS = ("ModuleNotFoundError", "ImportError")


# ----------------------------------------------------------------------------- inputs


@dataclass
class TestInfo:
    """One tagged test: its state in two isolated runs and what it exercised."""

    nodeid: str
    holdout: bool
    outcome: str  # first run: passed failed error skipped xfailed crashed timeout
    outcome2: str | None = None  # second run (None: not run twice)
    used: list[str] = field(default_factory=list)  # trainables it exercised
    feeds: list[str] = field(default_factory=list)  # explicit targets, else used
    explicit: list[str] = field(default_factory=list)
    calls: int = 0  # recorded calls to trainables, dropped ones included
    scores: list[float] = field(default_factory=list)
    critiques: list[str] = field(default_factory=list)
    feedback: str = ""  # the failure text of the first run
    source: str | None = None  # source of the test function, when known

    __test__ = False  # not a pytest test class

    @property
    def passed(self) -> bool:
        return self.outcome in _PASSING

    @property
    def counted(self) -> bool:
        return self.outcome != "skipped"

    @property
    def flaky(self) -> bool:
        return self.outcome2 is not None and (self.outcome in _PASSING) != (
            self.outcome2 in _PASSING
        )


@dataclass
class LoopSettings:
    rounds: int = 5
    budget: str = "5 rounds"
    optimizer: str = "OptoPrime"
    llm: str = "local"


# ----------------------------------------------------------------------------- helpers


def _wrap(text: str, indent: str = "", width: int = WIDTH) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + "    ",
        break_long_words=True,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _decorator_origin(dec: ast.expr) -> str | None:
    """``trainable`` for ``@trainable``/``@trainable(...)``, ``bundle`` for trainable bundles."""
    target = dec.func if isinstance(dec, ast.Call) else dec
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    if name == "trainable":
        owner = ast.unparse(target.value) if isinstance(target, ast.Attribute) else ""
        # @pytest.mark.trainable tags a test; it does not declare a trainable.
        return None if owner == "mark" or owner.endswith(".mark") else "trainable"
    if name == "bundle" and isinstance(dec, ast.Call) and _has_true_kw(dec, "trainable"):
        return "bundle"
    return None


def _has_true_kw(call: ast.Call, name: str) -> bool:
    return any(
        kw.arg == name and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def _is_trainable_node_call(expr: ast.AST | None) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "node" and _has_true_kw(expr, "trainable")


def _is_model(cls: ast.ClassDef) -> bool:
    for dec in cls.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "model":
            return True
    return False


def _child_bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(stmt, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
    for handler in getattr(stmt, "handlers", None) or []:
        yield handler.body
    for case in getattr(stmt, "cases", None) or []:
        yield case.body


def _names_in_target(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            yield from _names_in_target(elt)
    elif isinstance(target, ast.Starred):
        yield from _names_in_target(target.value)


_FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Binding:
    kind: str  # import | from | def | class | assign | node | star
    line: int
    node: ast.AST
    module: str = ""  # for imports
    level: int = 0
    attr: str = ""  # from-import: the imported name


@dataclass
class FuncEntry:
    node: _FuncDef
    qualname: str
    cls: ast.ClassDef | None  # the class the function is a method of
    cls_qualname: str
    origin: str | None  # trainable | bundle | None


@dataclass
class NodeDecl:
    label: str
    line: int
    end_line: int
    call: ast.Call
    cls_qualname: str  # class whose method creates it ("" at module level or in a function)


class ModuleFacts:
    """What one source file binds and declares (module level, functions, classes, nodes)."""

    def __init__(self, relpath: str, text: str) -> None:
        self.relpath = relpath
        self.text = text
        self.tree = ast.parse(text, filename=relpath)
        self.lines = text.splitlines()
        self.bindings: dict[str, list[Binding]] = {}
        self.stars: list[Binding] = []
        self.functions: list[FuncEntry] = []
        self.classes: dict[str, ast.ClassDef] = {}
        self.nodes: list[NodeDecl] = []
        self._symtable: symtable.SymbolTable | None = None
        self._collect_bindings(self.tree.body)
        self._collect_defs(self.tree.body, "", None, "")
        self._collect_nodes()

    # -- module-level names ------------------------------------------------------------
    def _bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def _collect_bindings(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    name = alias.asname or alias.name.split(".")[0]
                    module = alias.name if alias.asname else alias.name.split(".")[0]
                    self._bind(name, Binding("import", stmt.lineno, stmt, module=module))
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    binding = Binding(
                        "from", stmt.lineno, stmt, stmt.module or "", stmt.level, alias.name
                    )
                    if alias.name == "*":
                        binding.kind = "star"
                        self.stars.append(binding)
                    else:
                        self._bind(alias.asname or alias.name, binding)
            elif isinstance(stmt, _FuncDef):
                self._bind(stmt.name, Binding("def", stmt.lineno, stmt))
            elif isinstance(stmt, ast.ClassDef):
                self._bind(stmt.name, Binding("class", stmt.lineno, stmt))
            elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                kind = "node" if _is_trainable_node_call(stmt.value) else "assign"
                for target in targets:
                    for name in _names_in_target(target):
                        self._bind(name, Binding(kind, stmt.lineno, stmt))
            else:
                for target in self._loop_targets(stmt):
                    for name in _names_in_target(target):
                        self._bind(name, Binding("assign", stmt.lineno, stmt))
                for child in _child_bodies(stmt):
                    self._collect_bindings(child)

    @staticmethod
    def _loop_targets(stmt: ast.stmt) -> list[ast.expr]:
        if isinstance(stmt, ast.For | ast.AsyncFor):
            return [stmt.target]
        if isinstance(stmt, ast.With | ast.AsyncWith):
            return [i.optional_vars for i in stmt.items if i.optional_vars is not None]
        return []

    # -- functions and classes ---------------------------------------------------------
    def _collect_defs(
        self, body: list[ast.stmt], prefix: str, cls: ast.ClassDef | None, cls_qualname: str
    ) -> None:
        for stmt in body:
            if isinstance(stmt, _FuncDef):
                qualname = prefix + stmt.name
                origin = next((o for o in map(_decorator_origin, stmt.decorator_list) if o), None)
                self.functions.append(FuncEntry(stmt, qualname, cls, cls_qualname, origin))
                self._collect_defs(stmt.body, qualname + ".<locals>.", None, "")
            elif isinstance(stmt, ast.ClassDef):
                qualname = prefix + stmt.name
                self.classes[qualname] = stmt
                self._collect_defs(stmt.body, qualname + ".", stmt, qualname)
            else:
                for child in _child_bodies(stmt):
                    self._collect_defs(child, prefix, cls, cls_qualname)

    def _collect_nodes(self) -> None:
        owner: dict[int, str] = {}  # id(call) -> class qualname of the creating method
        for entry in self.functions:
            if entry.cls is not None:
                for sub in ast.walk(entry.node):
                    if isinstance(sub, ast.Call):
                        owner.setdefault(id(sub), entry.cls_qualname)
        for stmt in ast.walk(self.tree):
            if not isinstance(stmt, ast.stmt):
                continue
            value = getattr(stmt, "value", None)
            calls = [value] if _is_trainable_node_call(value) else []
            if not calls and isinstance(stmt, ast.Expr | ast.Return):
                continue
            for call in calls:
                assert isinstance(call, ast.Call)
                label = ""
                for kw in call.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                        label = str(kw.value.value)
                if not label and isinstance(stmt, ast.Assign | ast.AnnAssign):
                    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
                    if isinstance(target, ast.Name):
                        label = target.id
                    elif isinstance(target, ast.Attribute):
                        label = target.attr
                self.nodes.append(
                    NodeDecl(
                        label or "node",
                        stmt.lineno,
                        stmt.end_lineno or stmt.lineno,
                        call,
                        owner.get(id(call), ""),
                    )
                )

    # -- lookups -----------------------------------------------------------------------
    def function(self, qualname: str, name: str | None, line: int) -> FuncEntry | None:
        for entry in self.functions:
            if entry.qualname == qualname:
                return entry
        for entry in self.functions:  # fall back on the name and the def/decorator lines
            first = min([d.lineno for d in entry.node.decorator_list] + [entry.node.lineno])
            if entry.node.name == name and first <= line <= entry.node.lineno:
                return entry
        return None

    def node_at(self, line: int, label: str) -> NodeDecl | None:
        spanning = [n for n in self.nodes if n.line <= line <= n.end_line]
        return next((n for n in spanning if n.label == label), spanning[0] if spanning else None)

    def symbols(self, node: _FuncDef) -> symtable.SymbolTable | None:
        if self._symtable is None:
            try:
                self._symtable = symtable.symtable(self.text, self.relpath, "exec")
            except SyntaxError:
                return None

        def find(table: symtable.SymbolTable) -> symtable.SymbolTable | None:
            for child in table.get_children():
                if (
                    child.get_type() == "function"
                    and child.get_name() == node.name
                    and child.get_lineno() == node.lineno
                ):
                    return child
                found = find(child)
                if found is not None:
                    return found
            return None

        return find(self._symtable)

    def line_text(self, line: int) -> str:
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""

    def where(self, line: int) -> str:
        return f"{self.relpath}:{line}"


class Sources:
    """Parsed files of the project, read lazily through ``read(relpath) -> text | None``."""

    def __init__(self, read: Callable[[str], str | None]) -> None:
        self.read = read
        self._cache: dict[str, ModuleFacts | None] = {}

    def facts(self, relpath: str) -> ModuleFacts | None:
        if relpath not in self._cache:
            text = self.read(relpath)
            facts: ModuleFacts | None = None
            if text is not None:
                try:
                    facts = ModuleFacts(relpath, text)
                except (SyntaxError, ValueError):
                    facts = None
            self._cache[relpath] = facts
        return self._cache[relpath]

    def resolve_module(self, module: str, level: int, from_file: str) -> str | None:
        """The project file of an import, or None for a library (not in the project)."""
        here = posixpath.dirname(from_file)
        if level:
            base = here
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            roots = [base]
        else:
            roots = []
            parts = here.split("/") if here else []
            for cut in range(len(parts), -1, -1):  # the file's dir, its parents, the rootdir
                roots.append("/".join(parts[:cut]))
            roots.append("src")
        rel = module.replace(".", "/")
        for root in roots:
            stem = posixpath.join(root, rel) if rel else root
            for candidate in (stem + ".py", posixpath.join(stem, "__init__.py")):
                candidate = posixpath.normpath(candidate).lstrip("./") or candidate
                if self.facts(candidate) is not None:
                    return candidate
        return None


# ----------------------------------------------------------------------------- code facts


@dataclass
class Risk:
    kind: str
    text: str
    evidence: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "evidence": self.evidence}


@dataclass
class CodeFacts:
    total_lines: int = 0
    code_lines: int = 0
    signature: str = ""
    params: list[str] = field(default_factory=list)
    reads_values: list[str] = field(default_factory=list)  # trainable nodes it reads
    fixed: list[str] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    constant_stub: bool = False  # no input, returns a literal
    nested_calls: list[tuple[str, str]] = field(default_factory=list)  # (inner key, where)


def _first_use(node: ast.AST, name: str) -> int | None:
    lines = [
        sub.lineno
        for sub in ast.walk(node)
        if isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Load)
    ]
    return min(lines) if lines else None


def _code_lines(fn: _FuncDef, lines: Sequence[str]) -> tuple[int, int]:
    start, end = fn.lineno, fn.end_lineno or fn.lineno
    doc: set[int] = set()
    first = fn.body[0] if fn.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        doc = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    code = 0
    for row in range(start, end + 1):
        text = lines[row - 1].strip() if row <= len(lines) else ""
        if text and not text.startswith("#") and row not in doc:
            code += 1
    return end - start + 1, code


def _signature(fn: _FuncDef) -> tuple[str, list[str]]:
    args = fn.args
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return f"{fn.name}({', '.join(names)})", names


def _is_constant_stub(fn: _FuncDef, params: list[str], is_method: bool) -> bool:
    inputs = params[1:] if is_method and params else params
    body = list(fn.body)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    if inputs or len(body) != 1 or not isinstance(body[0], ast.Return):
        return False
    value = body[0].value
    try:
        ast.literal_eval(value) if value is not None else None
    except (ValueError, TypeError, SyntaxError):
        return False
    return value is not None


class Analyzer:
    """Static facts of the trainables, against the targets known from the runs."""

    def __init__(self, sources: Sources, targets: dict[str, dict[str, Any]]) -> None:
        self.sources = sources
        self.targets = targets
        self._code: dict[str, CodeFacts | None] = {}

    def _code_target_at(self, relpath: str, qualname: str) -> str | None:
        key = f"{relpath}::{qualname}"
        if key in self.targets:
            return key
        facts = self.sources.facts(relpath)
        if facts is not None:
            for entry in facts.functions:
                if entry.qualname == qualname and entry.origin:
                    return key
        return None

    def _resolve(self, facts: ModuleFacts, name: str, depth: int = 0) -> tuple[str, str, str]:
        """What a module-level ``name`` of ``facts`` is: (kind, where, detail).

        kind: builtin | library | class | function | trainable | value | global | module |
        unknown.
        """
        bindings = facts.bindings.get(name)
        if not bindings:
            if name in _BUILTINS or (name.startswith("__") and name.endswith("__")):
                return "builtin", "", ""
            if facts.stars:
                star = facts.stars[0]
                return "unknown", facts.where(star.line), f"from {star.module} import *"
            return "unknown", "", ""
        binding = bindings[-1]
        where = facts.where(binding.line)
        if binding.kind == "def":
            fn = binding.node
            assert isinstance(fn, _FuncDef)
            if any(_decorator_origin(d) for d in fn.decorator_list):
                return "trainable", where, f"{facts.relpath}::{name}"
            return "function", where, ""
        if binding.kind == "class":
            return "class", where, ""
        if binding.kind == "node":
            return "value", where, ""
        if binding.kind == "assign":
            return "global", where, _short(facts.line_text(binding.line), 50)
        if binding.kind in ("import", "from"):
            module = binding.module
            if binding.kind == "from" and depth < 3:
                target = self.sources.resolve_module(
                    f"{module}.{binding.attr}" if module else binding.attr,
                    binding.level,
                    facts.relpath,
                )
                if target is not None:
                    return "module", where, target
                target = self.sources.resolve_module(module, binding.level, facts.relpath)
                if target is None:
                    return "library", where, ""
                other = self.sources.facts(target)
                if other is None:
                    return "library", where, ""
                kind, other_where, detail = self._resolve(other, binding.attr, depth + 1)
                if kind == "trainable":
                    return kind, other_where, detail
                if kind in ("function", "global", "value", "class", "module"):
                    return kind, other_where, detail or "imported"
                return kind, other_where or where, detail
            target = self.sources.resolve_module(module, binding.level, facts.relpath)
            if target is None:
                return "library", where, ""
            return "module", where, target
        return "unknown", where, ""

    def code(self, info: dict[str, Any]) -> CodeFacts | None:
        key = str(info.get("key", ""))
        if key not in self._code:
            self._code[key] = self._code_facts(info)
        return self._code[key]

    def _code_facts(self, info: dict[str, Any]) -> CodeFacts | None:
        facts = self.sources.facts(str(info.get("file", "")))
        if facts is None:
            return None
        entry = facts.function(
            str(info.get("name", "")), info.get("function_name"), int(info.get("line") or 0)
        )
        if entry is None:
            return None
        fn = entry.node
        out = CodeFacts()
        out.total_lines, out.code_lines = _code_lines(fn, facts.lines)
        out.signature, out.params = _signature(fn)
        is_method = (
            entry.cls is not None
            and bool(out.params)
            and out.params[0]
            in (
                "self",
                "cls",
            )
        )
        out.constant_stub = _is_constant_stub(fn, out.params, is_method)
        self._names(info, facts, entry, out)
        self._calls(info, facts, entry, out, is_method)
        if is_method:
            self._class_context(info, facts, entry, out)
        if out.code_lines > MAX_CODE_LINES:
            out.risks.append(
                Risk(
                    BROAD,
                    f"{fn.name} has {out.code_lines} lines of code (> {MAX_CODE_LINES}): "
                    "one failure cannot say which part is wrong; split it into smaller "
                    "trainables",
                    facts.where(fn.lineno),
                )
            )
        return out

    def _names(
        self, info: dict[str, Any], facts: ModuleFacts, entry: FuncEntry, out: CodeFacts
    ) -> None:
        fn = entry.node
        table = facts.symbols(fn)
        if table is None:
            return
        reads: dict[str, bool] = {}  # name -> written through a global statement

        def visit(t: symtable.SymbolTable, top: bool) -> None:
            for sym in t.get_symbols():
                name = sym.get_name()
                if sym.is_global() and (sym.is_referenced() or sym.is_declared_global()):
                    written = sym.is_declared_global() and sym.is_assigned()
                    reads[name] = reads.get(name, False) or written
                elif top and sym.is_free() and name != "__class__":
                    line = _first_use(fn, name) or fn.lineno
                    out.risks.append(
                        Risk(
                            HIDDEN,
                            f"reads {name} from an enclosing function (a closure), not an "
                            "input: feedback never reaches it",
                            facts.where(line),
                        )
                    )
            for child in t.get_children():
                visit(child, False)

        visit(table, True)
        self_name = fn.name if entry.cls is None and "<locals>" not in entry.qualname else None
        for name, written in reads.items():
            line = _first_use(fn, name) or fn.lineno
            if written:
                out.risks.append(  # reported once, as a write
                    Risk(
                        HIDDEN,
                        f"assigns the module global {name} (global statement): state "
                        "outside its inputs that persists between calls",
                        facts.where(line),
                    )
                )
                continue
            if name == self_name:
                continue  # recursion, reported from the calls
            kind, where, detail = self._resolve(facts, name)
            used = facts.where(line)
            if kind in ("builtin", "library", "class"):
                if kind == "library":
                    out.fixed.append(name)
                continue
            if kind == "value":
                out.reads_values.append(name)
            elif kind == "trainable":
                continue  # nested trainable, reported from the calls
            elif kind == "function":
                extra = f", {detail}" if detail else ""
                out.risks.append(
                    Risk(
                        HIDDEN,
                        f"calls the fixed function {name}() ({where}{extra}): feedback never "
                        "reaches it; a bug there cannot be fixed here",
                        used,
                    )
                )
            elif kind == "global":
                shown = f"`{detail}`" if detail and not detail.startswith("imported") else detail
                out.risks.append(
                    Risk(
                        HIDDEN,
                        f"reads the module global {name} ({where}: {shown}): not an input; "
                        "make it a node(..., trainable=True) if it should be tuned",
                        used,
                    )
                )
            elif kind == "module":
                out.risks.append(
                    Risk(
                        HIDDEN,
                        f"uses the project module {name} ({detail}): its code stays fixed and "
                        "gets no feedback",
                        used,
                    )
                )
            else:
                origin = f" (maybe {detail}, {where})" if detail else ""
                out.risks.append(
                    Risk(
                        HIDDEN,
                        f"reads {name}, which the module does not define{origin}: a global set "
                        "at run time",
                        used,
                    )
                )

    def _calls(
        self,
        info: dict[str, Any],
        facts: ModuleFacts,
        entry: FuncEntry,
        out: CodeFacts,
        is_method: bool,
    ) -> None:
        fn = entry.node
        receiver = {"self", "cls"}
        if is_method and out.params:
            receiver.add(out.params[0])
        methods: dict[str, FuncEntry] = {}
        if entry.cls is not None:
            for other in facts.functions:
                if other.cls is entry.cls:
                    methods[other.node.name] = other
        recursion: list[int] = []
        nested: dict[str, int] = {}
        fixed_methods: dict[str, int] = {}
        for sub in ast.walk(fn):
            if not isinstance(sub, ast.Call):
                continue
            func = sub.func
            if isinstance(func, ast.Name):
                if func.id == fn.name and entry.cls is None:
                    table_kind = self._resolve(facts, func.id)[0]
                    if table_kind in ("function", "trainable"):
                        recursion.append(sub.lineno)
                    continue
                kind, where, detail = self._resolve(facts, func.id)
                if kind == "trainable" or (
                    kind == "function" and self._code_target_at(facts.relpath, func.id)
                ):
                    nested.setdefault(f"{func.id}() ({where})", sub.lineno)
                    inner = detail if kind == "trainable" else f"{facts.relpath}::{func.id}"
                    out.nested_calls.append((inner, facts.where(sub.lineno)))
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and (func.value.id in receiver or func.value.id == getattr(entry.cls, "name", ""))
                and entry.cls is not None
            ):
                if func.attr == fn.name:
                    recursion.append(sub.lineno)
                    continue
                method = methods.get(func.attr)
                if method is None:
                    continue
                qual = method.qualname
                if method.origin or self._code_target_at(facts.relpath, qual):
                    out.nested_calls.append((f"{facts.relpath}::{qual}", facts.where(sub.lineno)))
                    nested.setdefault(
                        f"{func.value.id}.{func.attr}() ({facts.where(method.node.lineno)})",
                        sub.lineno,
                    )
                elif not func.attr.startswith("__"):
                    fixed_methods.setdefault(
                        f"{func.value.id}.{func.attr}() ({facts.where(method.node.lineno)})",
                        sub.lineno,
                    )
        if recursion:
            out.risks.append(
                Risk(
                    RECURSION,
                    f"{fn.name} calls itself: only the outermost call is recorded, and a "
                    "rewritten version can recurse without end (the per-test timeout stops it)",
                    facts.where(recursion[0]),
                )
            )
        for shown, line in nested.items():
            out.risks.append(
                Risk(
                    NESTED,
                    f"calls the trainable {shown} inside a trainable: the inner call is not "
                    "recorded, so it gets no feedback from these calls",
                    facts.where(line),
                )
            )
        for shown, line in fixed_methods.items():
            out.risks.append(
                Risk(
                    HIDDEN,
                    f"calls the fixed method {shown}: feedback never reaches it",
                    facts.where(line),
                )
            )

    def _class_context(
        self, info: dict[str, Any], facts: ModuleFacts, entry: FuncEntry, out: CodeFacts
    ) -> None:
        fn = entry.node
        bundle = info.get("origin") == "bundle"
        consequence = (
            "Trace's bundle executes the body outside its class, where this breaks (the "
            "original body too)"
            if bundle
            else "the plugin compiles candidates inside the class, but the optimizer sees "
            "the method without its class"
        )
        for sub in ast.walk(fn):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Name)
                and sub.func.id == "super"
            ):
                out.risks.append(
                    Risk(
                        CLASS_CONTEXT,
                        f"super() in a trainable method: {consequence}",
                        facts.where(sub.lineno),
                    )  # fmt: skip
                )
                break
        for sub in ast.walk(fn):
            if (
                isinstance(sub, ast.Attribute)
                and sub.attr.startswith("__")
                and not sub.attr.endswith("__")
            ):
                shown = ast.unparse(sub)
                out.risks.append(
                    Risk(
                        CLASS_CONTEXT,
                        f"name-mangled attribute {shown} in a trainable method: {consequence}",
                        facts.where(sub.lineno),
                    )
                )
                break

    def value_readers(self, info: dict[str, Any]) -> list[str]:
        """Functions of the node's file that read it (they stay fixed)."""
        facts = self.sources.facts(str(info.get("file", "")))
        if facts is None:
            return []
        decl = facts.node_at(int(info.get("line") or 0), str(info.get("name", "")))
        label = decl.label if decl else str(info.get("name", ""))
        readers: list[str] = []
        for entry in facts.functions:
            if decl is not None and decl.cls_qualname and entry.cls_qualname != decl.cls_qualname:
                continue
            for sub in ast.walk(entry.node):
                hit = (
                    isinstance(sub, ast.Name)
                    and sub.id == label
                    and isinstance(sub.ctx, ast.Load)
                    and not (decl and decl.cls_qualname)
                ) or (
                    isinstance(sub, ast.Attribute)
                    and sub.attr == label
                    and isinstance(sub.ctx, ast.Load)
                )
                if hit:
                    readers.append(entry.qualname)
                    break
        return readers


# ----------------------------------------------------------------------------- test facts


def signal_kinds(source: str | None) -> set[str]:
    """What a test checks, from its source: assertions, scores, critiques."""
    kinds: set[str] = set()
    if not source:
        return kinds
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return kinds
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Assert):
            kinds.add("assertions")
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            attr = sub.func.attr
            owner = sub.func.value
            if attr == "score":
                kinds.add("scores")
            elif attr == "critique":
                kinds.add("critiques")
            elif attr.startswith("assert") or (
                isinstance(owner, ast.Name)
                and owner.id == "pytest"
                and attr in ("raises", "approx", "fail", "warns")
            ):
                kinds.add("assertions")
    return kinds


def infrastructure_problem(test: TestInfo) -> str:
    """Why a test fails for reasons no code change of a trainable fixes ("" if it does not)."""
    text = test.feedback or ""
    if test.outcome == "error":
        for line in text.splitlines():
            stripped = line.strip().removeprefix("E ").strip()
            if "fixture '" in stripped and "not found" in stripped:
                return f"setup error: {_short(stripped, 70)}"
        last = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("E ")]
        reason = _short(last[-1][1:].strip(), 70) if last else "error outside the test body"
        return f"setup/teardown error: {reason}"
    if test.outcome == "failed":
        for line in text.splitlines():
            stripped = line.strip().removeprefix("E").strip()
            if stripped.startswith(_INFRA_EXCEPTIONS):
                return f"import error: {_short(stripped, 70)}"
    return ""


# ----------------------------------------------------------------------------- the plan


def _what(info: dict[str, Any], cls: str) -> str:
    if info.get("kind") == "value":
        return "node"
    return "method" if info.get("is_method") or cls else "function"


def _describe_tests(tests: Sequence[TestInfo]) -> dict[str, Any]:
    visible = [t for t in tests if not t.holdout and t.counted]
    holdout = [t for t in tests if t.holdout and t.counted]
    return {
        "visible": [{"nodeid": t.nodeid, "outcome": t.outcome} for t in visible],
        "holdout": [{"nodeid": t.nodeid, "outcome": t.outcome} for t in holdout],
        "visible_passed": sum(t.passed for t in visible),
        "holdout_passed": sum(t.passed for t in holdout),
    }


def _state_text(tests: dict[str, Any]) -> str:
    v, h = tests["visible"], tests["holdout"]
    vp, hp = tests["visible_passed"], tests["holdout_passed"]
    text = f"{len(v)} visible ({vp} pass, {len(v) - vp} fail)"
    if h:
        text += f" and {len(h)} holdout ({hp} pass, {len(h) - hp} fail)"
    return text


def _group_ids(ids: Sequence[str]) -> str:
    shown: list[str] = []
    last_file = ""
    for nodeid in ids[:MAX_IDS]:
        file, sep, rest = nodeid.partition("::")
        shown.append(f"::{rest}" if sep and file == last_file else nodeid)
        last_file = file
    text = ", ".join(shown)
    if len(ids) > MAX_IDS:
        text += f" (+{len(ids) - MAX_IDS} more)"
    return text


def _class_of(info: dict[str, Any], facts: ModuleFacts | None) -> str:
    if facts is None:
        return ""
    if info.get("kind") == "code":
        entry = facts.function(
            str(info.get("name", "")), info.get("function_name"), int(info.get("line") or 0)
        )
        return entry.cls_qualname if entry is not None else ""
    decl = facts.node_at(int(info.get("line") or 0), str(info.get("name", "")))
    return decl.cls_qualname if decl is not None else ""


def declared_trainables(facts: ModuleFacts) -> list[dict[str, Any]]:
    """Trainables declared in a file (whether or not a test reaches them), as target dicts."""
    found: list[dict[str, Any]] = []
    for entry in facts.functions:
        if entry.origin:
            found.append(
                {
                    "key": f"{facts.relpath}::{entry.qualname}",
                    "kind": "code",
                    "origin": entry.origin,
                    "name": entry.qualname,
                    "file": facts.relpath,
                    "line": entry.node.lineno,
                    "function_name": entry.node.name,
                    "is_method": entry.cls is not None,
                    "end_line": entry.node.lineno,
                }
            )
    for decl in facts.nodes:
        found.append(
            {
                "key": f"{facts.relpath}::{decl.label}@{decl.line}",
                "kind": "value",
                "origin": "node",
                "name": decl.label,
                "file": facts.relpath,
                "line": decl.line,
                "end_line": decl.end_line,
                "function_name": None,
                "is_method": False,
            }
        )
    return found


def _same_declaration(declared: dict[str, Any], info: dict[str, Any]) -> bool:
    if declared["file"] != info.get("file") or declared["kind"] != info.get("kind"):
        return False
    if declared["kind"] == "code":
        return declared["name"] == info.get("name")
    line = int(info.get("line") or 0)
    return declared["line"] <= line <= declared["end_line"] and declared["name"] == info.get("name")


def _target_from_key(key: str) -> dict[str, Any]:
    file, _, rest = key.partition("::")
    if "@" in rest:
        name, _, line = rest.rpartition("@")
        kind = "value"
    else:
        name, line, kind = rest, "0", "code"
    return {
        "key": key,
        "kind": kind,
        "origin": "node" if kind == "value" else "trainable",
        "name": name,
        "file": file,
        "line": int(line) if line.isdigit() else 0,
        "function_name": name.rsplit(".", 1)[-1] if kind == "code" else None,
        "is_method": False,
    }


def build_plan(
    *,
    targets: dict[str, dict[str, Any]],
    tests: Sequence[TestInfo],
    read: Callable[[str], str | None],
    scan_files: Iterable[str] = (),
    loop: LoopSettings | None = None,
    collect_errors: Sequence[str] = (),
    problems: Sequence[str] = (),
    target_errors: Sequence[str] = (),
    ran_twice: bool = True,
    ran: bool = True,
) -> dict[str, Any]:
    """The plan as a JSON-serializable dict (see :func:`plan_lines` for its rendering)."""
    loop = loop or LoopSettings()
    sources = Sources(read)
    analyzer = Analyzer(sources, targets)
    poor_fit: list[str] = []
    notes: list[str] = []
    global_risks: list[Risk] = []

    for error in collect_errors:
        poor_fit.append(
            f"collection error: {_short(error, 160)}: tests that cannot be collected give "
            "Trace no signal; fix the import or syntax first"
        )
    for problem in problems:
        poor_fit.append(f"{_short(problem, 200)}")
    for error in target_errors:
        poor_fit.append(f"marker: {_short(error, 200)}")
    infra: dict[str, str] = {}
    for test in tests:
        reason = infrastructure_problem(test)
        if reason:
            infra[test.nodeid] = reason
    if infra:
        poor_fit.append(
            f"{_plural(len(infra), 'tagged test')} fail for infrastructure reasons, not "
            "behaviour: an LLM rewriting the trainables cannot fix that"
        )
        for nodeid, reason in list(infra.items())[:MAX_IDS]:
            poor_fit.append(f"  {nodeid}: {reason}")
            global_risks.append(Risk(NO_SIGNAL, f"{nodeid}: {reason}", nodeid))

    # Every target: reached in the runs, named by a marker, or declared in a scanned file.
    all_targets: dict[str, dict[str, Any]] = dict(targets)
    reached = {k for t in tests for k in [*t.used, *t.feeds]}
    for test in tests:
        for key in test.explicit:
            all_targets.setdefault(key, _target_from_key(key))
    for relpath in dict.fromkeys(scan_files if ran else []):
        facts = sources.facts(relpath)
        if facts is None:
            continue
        for declared in declared_trainables(facts):
            if not any(_same_declaration(declared, info) for info in all_targets.values()):
                all_targets[declared["key"]] = declared

    # Classes holding several trainables (the model pattern).
    members: dict[tuple[str, str], list[str]] = {}
    target_class: dict[str, str] = {}
    for key, info in all_targets.items():
        cls = _class_of(info, sources.facts(str(info.get("file", ""))))
        target_class[key] = cls
        if cls:
            members.setdefault((str(info.get("file")), cls), []).append(key)

    tested = [t for t in tests if t.counted]
    no_reach = [t for t in tested if not t.used and not t.feeds and t.nodeid not in infra]
    if no_reach:
        notes.append(
            f"{_plural(len(no_reach), 'tagged test')} reach no trainable (they cannot feed "
            f"any target): {_group_ids([t.nodeid for t in no_reach])}"
        )
    callers: dict[str, list[tuple[str, str]]] = {}  # inner trainable -> (outer, where)
    for info in all_targets.values():
        code = analyzer.code(info) if info.get("kind") == "code" else None
        for inner, where in code.nested_calls if code is not None else []:
            callers.setdefault(inner, []).append((str(info.get("name")), where))
    blocks: list[dict[str, Any]] = []
    for key, info in all_targets.items():
        blocks.append(
            _target_block(
                key,
                info,
                tested,
                analyzer,
                sources,
                members,
                target_class,
                infra,
                key in reached,
                callers.get(key, []),
            )  # fmt: skip
        )
    if not ran:
        poor_fit.append("the tagged tests did not run: no plan per target")
    if not any(b["reached"] for b in blocks) and tested and not collect_errors:
        poor_fit.insert(
            0,
            "no tagged test reaches a trainable: there is nothing Trace could optimize from "
            "these tests",
        )
    risks = [r.as_dict() for r in global_risks]
    counts: dict[str, int] = {}
    for risk in risks + [r for b in blocks for r in b["risks"]]:
        counts[risk["kind"]] = counts.get(risk["kind"], 0) + 1
    visible = [t for t in tested if not t.holdout]
    holdout = [t for t in tested if t.holdout]
    return {
        "summary": {
            "visible": len(visible),
            "visible_failing": sum(not t.passed for t in visible),
            "holdout": len(holdout),
            "holdout_failing": sum(not t.passed for t in holdout),
            "targets": len(blocks),
            "reached": sum(b["reached"] for b in blocks),
            "risks": counts,
            "ran_twice": ran_twice,
            "ran": ran,
        },
        "poor_fit": poor_fit,
        "notes": notes,
        "risks": risks,
        "loop": {
            "optimizer": loop.optimizer,
            "llm": loop.llm,
            "rounds": loop.rounds,
            "budget": loop.budget,
            "stop": "every tagged test passes (scores at 1), only holdouts fail, "
            f"after {loop.rounds} rounds, when a budget is spent, or on TERMINATE",
        },
        "targets": blocks,
    }


def _target_block(
    key: str,
    info: dict[str, Any],
    tests: Sequence[TestInfo],
    analyzer: Analyzer,
    sources: Sources,
    members: dict[tuple[str, str], list[str]],
    target_class: dict[str, str],
    infra: dict[str, str],
    reached: bool,
    callers: list[tuple[str, str]],
) -> dict[str, Any]:
    file, line = str(info.get("file", "")), int(info.get("line") or 0)
    facts = sources.facts(file)
    cls = target_class.get(key, "")
    siblings = [k for k in members.get((file, cls), []) if k != key] if cls else []
    is_model = bool(cls and facts and cls in facts.classes and _is_model(facts.classes[cls]))
    feeding = [t for t in tests if key in t.feeds]
    users = [t for t in tests if key in t.used or key in t.feeds]
    state = _describe_tests(feeding)
    risks: list[Risk] = []
    poor_fit: list[str] = []

    # -- surface -------------------------------------------------------------------------
    surface: dict[str, Any] = {"parameters": 1}
    code: CodeFacts | None = None
    if info.get("kind") == "code":
        code = analyzer.code(info)
        if code is not None:
            surface.update(
                lines=code.total_lines,
                code_lines=code.code_lines,
                signature=code.signature,
                reads_values=code.reads_values,
                libraries=code.fixed,
            )
            trainable = (
                f"the code of {info.get('name')}: {_plural(code.total_lines, 'line')} "
                f"({code.code_lines} of code), 1 trainable parameter"
            )
            fixed = [f"its signature {code.signature}"]
            if code.reads_values:
                trainable += "; reads the trainable value(s) " + ", ".join(code.reads_values)
            if code.fixed:
                fixed.append("the libraries it uses (" + ", ".join(sorted(set(code.fixed))) + ")")
            risks += code.risks
        else:
            original = str(info.get("original") or "")
            n = len(original.splitlines())
            surface.update(lines=n, code_lines=n)
            trainable = f"the code of {info.get('name')}: {_plural(n, 'line')}, 1 parameter"
            fixed = ["its signature"]
    else:
        value = info.get("original")
        shown = (
            f"a str of {len(value)} chars"
            if isinstance(value, str)
            else f"a {type(value).__name__}"
            if "original" in info
            else "a value"
        )
        lines = len(value.splitlines()) if isinstance(value, str) else 1
        surface.update(lines=lines, value_type=type(value).__name__ if "original" in info else "")
        trainable = f"the value of {info.get('name')}: {shown}, 1 trainable parameter"
        readers = analyzer.value_readers(info)
        fixed = [
            f"the code reading it ({', '.join(readers)})" if readers else "the code reading it"
        ]
        surface["readers"] = readers
    if siblings and cls:
        others = [m for m in members[(file, cls)] if m != key]
        surface["model_parameters"] = 1 + len(others)
    surface["trainable"] = trainable
    surface["fixed"] = fixed

    # -- pattern -------------------------------------------------------------------------
    pattern, fits, pattern_text = _pattern(info, code, cls, is_model, siblings, facts)

    # -- feedback loop -------------------------------------------------------------------
    visible = [t for t in feeding if not t.holdout]
    holdout = [t for t in feeding if t.holdout]
    kinds: set[str] = set()
    for test in visible:
        kinds |= signal_kinds(test.source)
        if test.scores:
            kinds.add("scores")
        if test.critiques:
            kinds.add("critiques")
    executable = bool(kinds & {"assertions", "scores"})
    graph = max((t.calls for t in users), default=0)
    feedback = {
        "visible": [t.nodeid for t in visible],
        "holdout": [t.nodeid for t in holdout],
        "kinds": sorted(kinds | {"runtime errors"}),
        "executable": executable,
        "max_calls_per_test": graph,
    }

    # -- risks from the runs ---------------------------------------------------------------
    if not reached:
        text = "no tagged test reaches it: Trace has no signal for it"
        poor_fit.append(text)
        risks.append(Risk(NO_SIGNAL, text, f"{file}:{line}"))
    elif feeding and not visible:
        risks.append(
            Risk(
                NO_SIGNAL,
                f"only holdout tests reach it ({len(holdout)}): the optimizer never sees "
                "its failures",
                _group_ids([t.nodeid for t in holdout]),
            )
        )
    elif not feeding:
        risks.append(
            Risk(
                NO_SIGNAL,
                "tests exercise it but name other targets in their marker: no feedback goes to it",
                _group_ids([t.nodeid for t in users]),
            )
        )
    for outer, where in callers[:MAX_RISKS_PER_KIND]:
        risks.append(
            Risk(
                NESTED,
                f"called inside the trainable {outer}(): those calls are not recorded, so "
                "they give it no feedback",
                where,
            )
        )
    infra_users = [t for t in users if t.nodeid in infra]
    if infra_users and len(infra_users) == len(users):
        poor_fit.append(
            "every test that reaches it fails for infrastructure reasons: "
            + infra[infra_users[0].nodeid]
        )
    flaky = [t for t in users if t.flaky]
    for test in flaky[:MAX_RISKS_PER_KIND]:
        risks.append(
            Risk(
                NO_SIGNAL,
                f"flaky: {test.outcome} in the first run, {test.outcome2} in the second: "
                "candidates would be judged by chance",
                test.nodeid,
            )
        )
    if visible and kinds and not executable:
        risks.append(
            Risk(
                NO_SIGNAL,
                "its tests only critique: no assertion or score can fail on behaviour, so "
                "optimization stops once they pass",
                _group_ids([t.nodeid for t in visible]),
            )
        )
    broad = [t for t in users if len(t.used) > MAX_TRAINABLES_PER_TEST]
    for test in broad[:MAX_RISKS_PER_KIND]:
        names = [k.partition("::")[2] or k for k in test.used]
        risks.append(
            Risk(
                BROAD,
                f"one test exercises {len(test.used)} trainables "
                f"({', '.join(names[:6])}{', ...' if len(names) > 6 else ''}): its failure "
                "cannot be attributed",
                test.nodeid,
            )
        )
    big = [t for t in users if t.calls > MAX_SHOWN_CALLS]
    if big:
        worst = max(big, key=lambda t: t.calls)
        risks.append(
            Risk(
                GRAPH,
                f"a test records {worst.calls} calls to trainables (> {MAX_SHOWN_CALLS}): "
                f"only the first {MAX_SHOWN_CALLS} reach the optimizer, and the graph makes its "
                "context heavy",
                worst.nodeid,
            )
        )
    risks = _dedupe(risks)
    return {
        "key": key,
        "kind": info.get("kind"),
        "origin": info.get("origin", "trainable"),
        "name": info.get("name"),
        "what": _what(info, cls),
        "class": cls,
        "model": cls if is_model else "",
        "file": file,
        "line": line,
        "reached": reached,
        "poor_fit": poor_fit,
        "notes": list(info.get("notes") or []),
        "tests": state,
        "surface": surface,
        "pattern": {"name": pattern, "fits": fits, "text": pattern_text},
        "feedback": feedback,
        "risks": [r.as_dict() for r in risks],
    }


def _dedupe(risks: list[Risk]) -> list[Risk]:
    seen: set[tuple[str, str]] = set()
    out: list[Risk] = []
    per_kind: dict[str, int] = {}
    for risk in risks:
        if (risk.kind, risk.text) in seen:
            continue
        seen.add((risk.kind, risk.text))
        per_kind[risk.kind] = per_kind.get(risk.kind, 0) + 1
        if per_kind[risk.kind] <= MAX_RISKS_PER_KIND:
            out.append(risk)
    return out


def _pattern(
    info: dict[str, Any],
    code: CodeFacts | None,
    cls: str,
    is_model: bool,
    siblings: list[str],
    facts: ModuleFacts | None,
) -> tuple[str, bool, str]:
    origin = info.get("origin", "trainable")
    name = str(info.get("name", "")).rsplit(".", 1)[-1]
    sibling_names = [s.partition("::")[2].rsplit("@", 1)[0].rsplit(".", 1)[-1] for s in siblings]
    if info.get("kind") == "value":
        value = info.get("original")
        label = "node"
        if isinstance(value, str) and value.lstrip().startswith(("def ", "class ", "import ")):
            return (
                label,
                False,
                (
                    "a node holding code as text: the optimizer cannot check it runs; "
                    "a trainable function (@trainable or a trainable bundle) fits better"
                ),
            )
        text = "node(value, trainable=True): fits (a value such as a prompt, template or threshold)"
        fits = True
        if facts is not None:
            try:
                locate_node_literal(Path(facts.relpath), int(info.get("line") or 0), facts.text)
            except NotALiteralError as exc:
                fits = False
                reason = str(exc).split(": ", 2)[-1].split(";")[0]
                text = (
                    f"node: {reason}: an accepted value cannot be written back into the "
                    "source; pass a literal"
                )
            except SourceError:
                pass
    else:
        label = "trainable decorator" if origin == "trainable" else "bundle"
        what = "@trainable" if origin == "trainable" else "@bundle(trainable=True)"
        text = f"{what}: fits (a function whose behaviour is optimized as a unit)"
        fits = True
        if code is not None and code.constant_stub:
            fits = False
            text = (
                f"{what} on a function that takes no input and returns a constant: "
                "a node(value, trainable=True) fits better"
            )
    if cls and siblings:
        together = ", ".join(sibling_names[:4]) + (", ..." if len(sibling_names) > 4 else "")
        if is_model:
            label = f"model ({label})"
            text += (
                f"; with {together}: {len(siblings) + 1} related trainables of one @model "
                f"{cls}: fits"
            )
        elif origin in ("bundle", "node"):
            fits = False
            text += (
                f"; {cls} holds {len(siblings) + 1} trainables ({name}, {together}) but is "
                "not a @model: decorate it with @model to optimize them as one model"
            )
    elif cls and is_model and not siblings:
        text += f"; the only trainable of @model {cls}: a bundle or node alone would do"
    return label, fits, text


def strict_risks(plan: dict[str, Any]) -> list[dict[str, str]]:
    """The risks that fail ``--trace-plan --trace-strict`` (hidden dependencies, no signal)."""
    found = [r for r in plan.get("risks", []) if r["kind"] in STRICT_KINDS]
    for block in plan.get("targets", []):
        found += [r for r in block["risks"] if r["kind"] in STRICT_KINDS]
    return found


# ----------------------------------------------------------------------------- rendering


def plan_lines(plan: dict[str, Any], width: int = WIDTH) -> Iterator[str]:
    """The plan as terminal lines, none longer than ``width``."""
    summary = plan["summary"]
    for text in plan["poor_fit"]:
        indent = "    " if text.startswith("  ") else ""
        yield from _wrap(
            ("Trace is a poor fit here: " if not indent else "") + text.strip(), indent, width
        )
    blocks = plan["targets"]
    reached = summary["reached"]
    yield from _wrap(
        f"tagged tests: {summary['visible']} visible ({summary['visible_failing']} failing), "
        f"{summary['holdout']} holdout ({summary['holdout_failing']} failing); "
        f"{_plural(reached, 'trainable')} reached"
        + (f", {len(blocks) - reached} not reached" if len(blocks) > reached else "")
        + "; no LLM call was made, no source file was changed",
        "",
        width,
    )
    loop = plan["loop"]
    yield from _wrap(
        f"loop if optimized: {loop['optimizer']} with LLM {loop['llm']}; budget "
        f"{loop['budget']}; stops when {loop['stop']}",
        "",
        width,
    )
    if summary.get("ran", True) and not summary.get("ran_twice", True):
        yield from _wrap("(the tests ran once: flakiness was not checked)", "", width)
    for note in plan["notes"]:
        yield from _wrap(f"note: {note}", "", width)
    # plan["risks"] (infrastructure failures) are already listed among the poor-fit lines.
    for number, block in enumerate(blocks, 1):
        yield ""
        yield from _block_lines(number, block, width)
    counts = summary["risks"]
    yield ""
    if counts:
        listed = ", ".join(f"{RISK_TITLES.get(k, k)}: {n}" for k, n in sorted(counts.items()))
        yield from _wrap(f"risks found: {listed}", "", width)
    else:
        yield "risks found: none"


def _block_lines(number: int, block: dict[str, Any], width: int) -> Iterator[str]:
    model = f" of model {block['model']}" if block.get("model") else ""
    head = f"[{number}] {block['what']} {block['name']}{model}  {block['file']}:{block['line']}"
    yield from _wrap(head, "", width)
    for text in block["poor_fit"]:
        yield from _wrap(f"Trace is a poor fit: {text}", "  ", width)
    tests = block["tests"]
    if block["reached"]:
        yield from _wrap(
            f"target: the behaviour its tests demand: {_state_text(tests)}", "  ", width
        )
        for state, label in (("fail", "failing"), ("pass", "passing")):
            ids = [
                t["nodeid"] + (" [holdout]" if holdout else "")
                for holdout, group in ((False, tests["visible"]), (True, tests["holdout"]))
                for t in group
                if (t["outcome"] in _PASSING) == (state == "pass")
            ]
            if ids:
                yield from _wrap(f"{label}: {_group_ids(ids)}", "    ", width)
    surface = block["surface"]
    yield from _wrap(
        f"surface: {surface['trainable']}; fixed: {'; '.join(surface['fixed'])}", "  ", width
    )
    pattern = block["pattern"]
    yield from _wrap(f"pattern: {pattern['text']}", "  ", width)
    for note in block.get("notes", []):
        yield from _wrap(f"note: {note}", "  ", width)
    feedback = block["feedback"]
    if block["reached"]:
        kinds = [k for k in feedback["kinds"] if k != "runtime errors"]
        if feedback["executable"]:
            nature = "executable (" + ", ".join([*kinds, "runtime errors"]) + ")"
        elif "critiques" in kinds:
            nature = "only critiques (and runtime errors)"
        else:
            nature = "runtime errors only (no assertion or score found)"
        text = f"feedback: from {_plural(len(feedback['visible']), 'visible test')}; {nature}"
        if not feedback["visible"]:
            text = "feedback: none reaches the optimizer (no visible test)"
        if feedback["holdout"]:
            n = len(feedback["holdout"])
            text += f"; {_plural(n, 'holdout test')} only judge{'s' if n == 1 else ''} candidates"
        calls = feedback["max_calls_per_test"]
        if calls:
            text += f"; graph: up to {_plural(calls, 'recorded call')} per test"
        elif block["kind"] == "value":
            text += "; graph: its reads are recorded, no call"
        if (
            tests["visible"]
            and tests["visible_passed"] == len(tests["visible"])
            and (tests["holdout_passed"] == len(tests["holdout"]))
        ):
            text += "; every test already passes: the loop would stop at round 0"
        yield from _wrap(text, "  ", width)
    if block["risks"]:
        yield "  risks:"
        for risk in block["risks"]:
            evidence = f" [{risk['evidence']}]" if risk["evidence"] else ""
            yield from _wrap(
                f"- {RISK_TITLES.get(risk['kind'], risk['kind'])}: {risk['text']}{evidence}",
                "    ",
                width,
            )
    else:
        yield "  risks: none found"
