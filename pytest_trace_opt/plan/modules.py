"""What one source file binds and declares, parsed lazily for the plan (module level,
functions, classes, trainable nodes), and how imports resolve to project files."""

from __future__ import annotations

import ast
import posixpath
import symtable
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pytest_trace_opt.patch import child_bodies

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


def _decorator_target(dec: ast.expr) -> tuple[ast.expr, str]:
    """What a decorator names (the callee of ``@d(...)``), and its last name."""
    target = dec.func if isinstance(dec, ast.Call) else dec
    return target, target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def decorator_origin(dec: ast.expr) -> str | None:
    """``trainable`` for ``@trainable``/``@trainable(...)``, ``bundle`` for trainable bundles."""
    target, name = _decorator_target(dec)
    if name == "trainable":
        owner = ast.unparse(target.value) if isinstance(target, ast.Attribute) else ""
        # @pytest.mark.trainable tags a test; it does not declare a trainable.
        return None if owner == "mark" or owner.endswith(".mark") else "trainable"
    if name == "bundle" and isinstance(dec, ast.Call) and has_true_kw(dec, "trainable"):
        return "bundle"
    return None


def has_true_kw(call: ast.Call, name: str) -> bool:
    return any(
        kw.arg == name and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def is_trainable_node_call(expr: ast.AST | None) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "node" and has_true_kw(expr, "trainable")


def is_model(cls: ast.ClassDef) -> bool:
    return any(_decorator_target(dec)[1] == "model" for dec in cls.decorator_list)


def names_in_target(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            yield from names_in_target(elt)
    elif isinstance(target, ast.Starred):
        yield from names_in_target(target.value)


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
    node: FuncDef
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
            elif isinstance(stmt, FuncDef):
                self._bind(stmt.name, Binding("def", stmt.lineno, stmt))
            elif isinstance(stmt, ast.ClassDef):
                self._bind(stmt.name, Binding("class", stmt.lineno, stmt))
            elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                kind = "node" if is_trainable_node_call(stmt.value) else "assign"
                for target in targets:
                    for name in names_in_target(target):
                        self._bind(name, Binding(kind, stmt.lineno, stmt))
            else:
                for target in self._loop_targets(stmt):
                    for name in names_in_target(target):
                        self._bind(name, Binding("assign", stmt.lineno, stmt))
                for child in child_bodies(stmt):
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
            if isinstance(stmt, FuncDef):
                qualname = prefix + stmt.name
                origin = next((o for o in map(decorator_origin, stmt.decorator_list) if o), None)
                self.functions.append(FuncEntry(stmt, qualname, cls, cls_qualname, origin))
                self._collect_defs(stmt.body, qualname + ".<locals>.", None, "")
            elif isinstance(stmt, ast.ClassDef):
                qualname = prefix + stmt.name
                self.classes[qualname] = stmt
                self._collect_defs(stmt.body, qualname + ".", stmt, qualname)
            else:
                for child in child_bodies(stmt):
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
            calls = [value] if is_trainable_node_call(value) else []
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

    def symbols(self, node: FuncDef) -> symtable.SymbolTable | None:
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
