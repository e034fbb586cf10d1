"""Static facts of the trainables, and the risks they carry for an optimization.

:mod:`symtable` gives the names a trainable reads that are not its parameters, locals or
builtins (module globals, closures); :mod:`ast` what those names are bound to, the calls
(recursion, nested trainables, fixed helpers), ``super()`` and name-mangled attributes.
"""

from __future__ import annotations

import ast
import builtins
import symtable
from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_trace_opt.plan._text import short
from pytest_trace_opt.plan.modules import (
    FuncDef,
    FuncEntry,
    ModuleFacts,
    Sources,
    decorator_origin,
)
from pytest_trace_opt.plan.risks import (
    BROAD,
    CLASS_CONTEXT,
    HIDDEN,
    NESTED,
    RECURSION,
    Risk,
)
from pytest_trace_opt.protocol import TargetInfo

MAX_CODE_LINES = 40  # a trainable function longer than this is too broad a surface

_BUILTINS = frozenset(dir(builtins))


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


def _code_lines(fn: FuncDef, lines: Sequence[str]) -> tuple[int, int]:
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


def _signature(fn: FuncDef) -> tuple[str, list[str]]:
    args = fn.args
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return f"{fn.name}({', '.join(names)})", names


def _is_constant_stub(fn: FuncDef, params: list[str], is_method: bool) -> bool:
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


def _global_reads(
    table: symtable.SymbolTable, fn: FuncDef, facts: ModuleFacts, out: CodeFacts
) -> dict[str, bool]:
    """Module globals the function reads (name -> written through a global statement).

    Names it reads from an enclosing function (closures) are risks of their own, added here.
    """
    reads: dict[str, bool] = {}

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
    return reads


def _read_risk(name: str, kind: str, where: str, detail: str) -> str | None:
    """The hidden dependency of reading the module-level ``name`` (None: not one)."""
    if kind in ("builtin", "library", "class", "value", "trainable"):
        return None  # trainables: nested, reported from the calls
    if kind == "function":
        extra = f", {detail}" if detail else ""
        return (
            f"calls the fixed function {name}() ({where}{extra}): feedback never "
            "reaches it; a bug there cannot be fixed here"
        )
    if kind == "global":
        shown = f"`{detail}`" if detail and not detail.startswith("imported") else detail
        return (
            f"reads the module global {name} ({where}: {shown}): not an input; "
            "make it a node(..., trainable=True) if it should be tuned"
        )
    if kind == "module":
        return (
            f"uses the project module {name} ({detail}): its code stays fixed and gets no feedback"
        )
    origin = f" (maybe {detail}, {where})" if detail else ""
    return f"reads {name}, which the module does not define{origin}: a global set at run time"


@dataclass
class _CallSites:
    """What the calls of one trainable showed: recursion, nested trainables, fixed methods."""

    recursion: list[int] = field(default_factory=list)
    nested: dict[str, int] = field(default_factory=dict)  # shown callee -> line
    fixed_methods: dict[str, int] = field(default_factory=dict)

    def risks(self, fn_name: str, facts: ModuleFacts) -> list[Risk]:
        found: list[Risk] = []
        if self.recursion:
            found.append(
                Risk(
                    RECURSION,
                    f"{fn_name} calls itself: only the outermost call is recorded, and a "
                    "rewritten version can recurse without end (the per-test timeout stops it)",
                    facts.where(self.recursion[0]),
                )
            )
        for shown, line in self.nested.items():
            found.append(
                Risk(
                    NESTED,
                    f"calls the trainable {shown} inside a trainable: the inner call is not "
                    "recorded, so it gets no feedback from these calls",
                    facts.where(line),
                )
            )
        for shown, line in self.fixed_methods.items():
            found.append(
                Risk(
                    HIDDEN,
                    f"calls the fixed method {shown}: feedback never reaches it",
                    facts.where(line),
                )
            )
        return found


class Analyzer:
    """Static facts of the trainables, against the targets known from the runs."""

    def __init__(self, sources: Sources, targets: dict[str, TargetInfo]) -> None:
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
            assert isinstance(fn, FuncDef)
            if any(decorator_origin(d) for d in fn.decorator_list):
                return "trainable", where, f"{facts.relpath}::{name}"
            return "function", where, ""
        if binding.kind == "class":
            return "class", where, ""
        if binding.kind == "node":
            return "value", where, ""
        if binding.kind == "assign":
            return "global", where, short(facts.line_text(binding.line), 50)
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

    def code(self, info: TargetInfo) -> CodeFacts | None:
        if info.key not in self._code:
            self._code[info.key] = self._code_facts(info)
        return self._code[info.key]

    def _code_facts(self, info: TargetInfo) -> CodeFacts | None:
        facts = self.sources.facts(info.file)
        if facts is None:
            return None
        entry = facts.function(info.name, info.function_name, info.line)
        if entry is None:
            return None
        fn = entry.node
        out = CodeFacts()
        out.total_lines, out.code_lines = _code_lines(fn, facts.lines)
        out.signature, out.params = _signature(fn)
        is_method = entry.cls is not None and bool(out.params) and out.params[0] in ("self", "cls")
        out.constant_stub = _is_constant_stub(fn, out.params, is_method)
        self._names(facts, entry, out)
        self._calls(facts, entry, out, is_method)
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

    # -- the names a trainable reads ---------------------------------------------------
    def _names(self, facts: ModuleFacts, entry: FuncEntry, out: CodeFacts) -> None:
        fn = entry.node
        table = facts.symbols(fn)
        if table is None:
            return
        reads = _global_reads(table, fn, facts, out)
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
            if kind == "library":
                out.fixed.append(name)
            elif kind == "value":
                out.reads_values.append(name)
            risk = _read_risk(name, kind, where, detail)
            if risk:
                out.risks.append(Risk(HIDDEN, risk, facts.where(line)))

    # -- the calls a trainable makes ---------------------------------------------------
    def _calls(self, facts: ModuleFacts, entry: FuncEntry, out: CodeFacts, is_method: bool) -> None:
        fn = entry.node
        receiver = {"self", "cls"}
        if is_method and out.params:
            receiver.add(out.params[0])
        methods: dict[str, FuncEntry] = {}
        if entry.cls is not None:
            for other in facts.functions:
                if other.cls is entry.cls:
                    methods[other.node.name] = other
        sites = _CallSites()
        for sub in ast.walk(fn):
            if not isinstance(sub, ast.Call):
                continue
            func = sub.func
            if isinstance(func, ast.Name):
                self._name_call(facts, entry, out, sub, func, sites)
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and (func.value.id in receiver or func.value.id == getattr(entry.cls, "name", ""))
                and entry.cls is not None
            ):
                self._method_call(facts, entry, out, sub, func, methods, sites)
        out.risks += sites.risks(fn.name, facts)

    def _name_call(
        self,
        facts: ModuleFacts,
        entry: FuncEntry,
        out: CodeFacts,
        sub: ast.Call,
        func: ast.Name,
        sites: _CallSites,
    ) -> None:
        """A call ``name(...)``: recursion, or a nested trainable."""
        fn = entry.node
        if func.id == fn.name and entry.cls is None:
            table_kind = self._resolve(facts, func.id)[0]
            if table_kind in ("function", "trainable"):
                sites.recursion.append(sub.lineno)
            return
        kind, where, detail = self._resolve(facts, func.id)
        if kind == "trainable" or (
            kind == "function" and self._code_target_at(facts.relpath, func.id)
        ):
            sites.nested.setdefault(f"{func.id}() ({where})", sub.lineno)
            inner = detail if kind == "trainable" else f"{facts.relpath}::{func.id}"
            out.nested_calls.append((inner, facts.where(sub.lineno)))

    def _method_call(
        self,
        facts: ModuleFacts,
        entry: FuncEntry,
        out: CodeFacts,
        sub: ast.Call,
        func: ast.Attribute,
        methods: dict[str, FuncEntry],
        sites: _CallSites,
    ) -> None:
        """A call ``self.name(...)``: recursion, a nested trainable, or a fixed method."""
        assert isinstance(func.value, ast.Name)
        if func.attr == entry.node.name:
            sites.recursion.append(sub.lineno)
            return
        method = methods.get(func.attr)
        if method is None:
            return
        shown = f"{func.value.id}.{func.attr}() ({facts.where(method.node.lineno)})"
        if method.origin or self._code_target_at(facts.relpath, method.qualname):
            out.nested_calls.append(
                (f"{facts.relpath}::{method.qualname}", facts.where(sub.lineno))
            )
            sites.nested.setdefault(shown, sub.lineno)
        elif not func.attr.startswith("__"):
            sites.fixed_methods.setdefault(shown, sub.lineno)

    def _class_context(
        self, info: TargetInfo, facts: ModuleFacts, entry: FuncEntry, out: CodeFacts
    ) -> None:
        fn = entry.node
        bundle = info.origin == "bundle"
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

    def value_readers(self, info: TargetInfo) -> list[str]:
        """Functions of the node's file that read it (they stay fixed)."""
        facts = self.sources.facts(info.file)
        if facts is None:
            return []
        decl = facts.node_at(info.line, info.name)
        label = decl.label if decl else info.name
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
