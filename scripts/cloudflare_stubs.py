"""Generate typings/pulumi_cloudflare/: the slice of the Cloudflare SDK this project uses, as stubs for mypy.

    venv/bin/python scripts/cloudflare_stubs.py          # (re)write the stubs
    venv/bin/python scripts/cloudflare_stubs.py --check  # exit 1, naming each stale file

Why: the SDK's `__init__` star-imports all of its modules (its `outputs.py` and `_inputs.py` alone
are 12 MB), so any name taken from it makes mypy analyse the whole SDK, most of a cold mypy run.
mypy finds these stubs first (`mypy_path` in pyproject.toml) and reads only this slice.

What the slice holds: every name the project's code takes from `pulumi_cloudflare` (read from the
code, never listed by hand), and every SDK name that their signatures, annotations (string ones
included), bases and decorators reference, transitively. Each is copied from the installed SDK's
own source with its decorators, signatures and annotations unchanged; function bodies become
`...`, docstrings are dropped, and an overloaded function keeps its overloads only (a stub may not
hold the implementation; callers are checked against the overloads either way).

The SDK is read as text, never imported (importing it takes seconds): only the top-level
statements the slice needs are parsed, so generating or checking takes about half a second.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import importlib.metadata
import importlib.util
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "pulumi_cloudflare"
DISTRIBUTION = "pulumi-cloudflare"
STUBS_DIR = Path("typings") / PACKAGE
# Where the project's code lives: every `pulumi_cloudflare` name used here gets into the stubs.
SOURCES = ("__main__.py", "components", "config", "ops", "scripts", "tests", ".github/scripts")
REGENERATE = "make stubs"

# A line that starts a top-level statement (or a line of a string or bracket that does: the parse
# that follows tells them apart); comments and indented lines belong to the statement above.
_TOP_LEVEL_LINE = re.compile(r"^[^\s#]", re.MULTILINE)
_DEFINITION = re.compile(r"^(?:async def|def|class) (\w+)|^(\w+)\s*(?::|=(?!=))", re.MULTILINE)
_HEADER_END = re.compile(r"^(?:@|class |def |async def )", re.MULTILINE)


class StubError(Exception):
    """The SDK holds something the generator cannot copy faithfully."""


def used_names(root: Path) -> list[str]:
    """Every name the project takes from pulumi_cloudflare: `<alias>.<Name>` after
    `import pulumi_cloudflare as <alias>`, and `from pulumi_cloudflare import <Name>`."""
    found: set[str] = set()
    for path in _project_files(root):
        text = path.read_text(encoding="utf-8")
        if PACKAGE not in text:
            continue  # both import forms name the package
        tree = ast.parse(text, filename=str(path))
        aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases.update(alias.asname or alias.name for alias in node.names if alias.name == PACKAGE)
                submodules = [alias.name for alias in node.names if alias.name.startswith(f"{PACKAGE}.")]
            elif isinstance(node, ast.ImportFrom) and node.module == PACKAGE and node.level == 0:
                found.update(alias.name for alias in node.names)
                continue
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(f"{PACKAGE}."):
                submodules = [node.module or ""]
            else:
                continue
            # The stubs hold what the package exports; a name taken from a submodule would be
            # missing from them, and mypy would report it with no way for `make stubs` to help.
            if submodules:
                raise StubError(
                    f"{path.relative_to(root)}:{node.lineno} imports {', '.join(submodules)}: take the SDK's "
                    f"names from the package itself (`import {PACKAGE} as cloudflare`, then `cloudflare.<Name>`, "
                    f"or `from {PACKAGE} import <Name>`)"
                )
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                found.add(node.attr)
    return sorted(found)


def _project_files(root: Path) -> Iterator[Path]:
    for source in SOURCES:
        path = root / source
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(path.rglob("*.py"))


def bound_names(statement: ast.stmt) -> set[str]:
    """The module-level names an import, assignment or definition binds."""
    if isinstance(statement, ast.Import):
        return {alias.asname or alias.name.split(".")[0] for alias in statement.names}
    if isinstance(statement, ast.ImportFrom):
        return {alias.asname or alias.name for alias in statement.names if alias.name != "*"}
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    if isinstance(statement, ast.Assign):
        return {target.id for target in statement.targets if isinstance(target, ast.Name)}
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return {statement.target.id}
    if isinstance(statement, ast.If):
        return {
            name for branch in (statement.body, statement.orelse) for inner in branch for name in bound_names(inner)
        }
    return set()


@dataclass
class References:
    """What a piece of the SDK's code refers to: bare names and `<name>.<attribute>` pairs."""

    names: set[str] = field(default_factory=set)
    attributes: set[tuple[str, str]] = field(default_factory=set)

    def add(self, expression: ast.expr | None, annotation: bool = False) -> None:
        if expression is None:
            return
        for node in ast.walk(expression):
            if isinstance(node, ast.Name):
                self.names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                self.attributes.add((node.value.id, node.attr))
            elif annotation and isinstance(node, ast.Constant) and isinstance(node.value, str):
                # A forward reference such as pulumi.Input['ZeroTrustAccessGroupIncludeArgs'].
                self.add(ast.parse(node.value, mode="eval").body, annotation=True)

    def without(self, local: set[str]) -> References:
        return References(
            {name for name in self.names if name not in local},
            {pair for pair in self.attributes if pair[0] not in local},
        )


def _is_overload(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ast.unparse(decorator) in ("overload", "typing.overload") for decorator in function.decorator_list)


def _stub_function(
    function: ast.FunctionDef | ast.AsyncFunctionDef, references: References
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    for decorator in function.decorator_list:
        references.add(decorator)
    arguments = function.args
    for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]:
        if argument is not None:
            references.add(argument.annotation, annotation=True)
    for default in [*arguments.defaults, *arguments.kw_defaults]:
        references.add(default)
    references.add(function.returns, annotation=True)
    function.body = [ast.Expr(ast.Constant(...))]
    return function


def without_overload_implementations(body: list[ast.stmt]) -> list[ast.stmt]:
    overloaded: set[str] = set()
    kept: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            if _is_overload(statement):
                overloaded.add(statement.name)
            elif statement.name in overloaded:
                continue
        kept.append(statement)
    return kept


def _stub_class(cls: ast.ClassDef, references: References) -> ast.ClassDef:
    own = References()
    for expression in [*cls.decorator_list, *cls.bases, *(keyword.value for keyword in cls.keywords)]:
        own.add(expression)
    members = References()
    body: list[ast.stmt] = []
    for member in without_overload_implementations(cls.body):
        if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
            body.append(_stub_function(member, members))
        elif isinstance(member, ast.AnnAssign):
            members.add(member.annotation, annotation=True)
            members.add(member.value)
            body.append(member)
        elif isinstance(member, ast.Assign):
            members.add(member.value)
            body.append(member)
        elif isinstance(member, ast.Pass | ast.Expr):
            # Docstrings, an empty class's `pass`, and calls made as the class is created (a
            # deprecated resource's warnings.warn): none of them types anything.
            continue
        else:
            raise StubError(
                f"class {cls.name}: cannot copy a {type(member).__name__} member ({ast.unparse(member)[:80]})"
            )
    # Inside the class, its own members (properties named `name`, `id`, ...) shadow module names.
    local = {name for member in body for name in bound_names(member)}
    found = members.without(local)
    references.names |= own.names | found.names
    references.attributes |= own.attributes | found.attributes
    cls.body = body or [ast.Expr(ast.Constant(...))]
    return cls


def stub_statement(statement: ast.stmt) -> tuple[ast.stmt, References]:
    """A top-level definition as it goes into the stub, and what it refers to."""
    references = References()
    if isinstance(statement, ast.ClassDef):
        return _stub_class(statement, references), references
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
        return _stub_function(statement, references), references
    if isinstance(statement, ast.Assign):
        references.add(statement.value)
        return statement, references
    if isinstance(statement, ast.AnnAssign):
        references.add(statement.annotation, annotation=True)
        references.add(statement.value)
        return statement, references
    if isinstance(statement, ast.If):
        references.add(statement.test)
        return statement, references
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return statement, references
    raise StubError(f"cannot copy a top-level {type(statement).__name__} ({ast.unparse(statement)[:80]})")


class SdkModule:
    """One module of the installed SDK, read as text; a top-level statement is parsed when needed."""

    def __init__(self, name: str, path: Path, text: str):
        self.name = name
        self.path = path
        self.text = text
        header_end = _HEADER_END.search(self.text)
        # The imports and `__all__` before the first definition, parsed whole.
        self.header = ast.parse(self.text[: header_end.start() if header_end else len(self.text)]).body
        self.body_start = header_end.start() if header_end else len(self.text)

    @cached_property
    def exported(self) -> list[str]:
        for statement in self.header:
            if isinstance(statement, ast.Assign) and bound_names(statement) == {"__all__"}:
                return list(ast.literal_eval(statement.value))
        return []

    @cached_property
    def _starts(self) -> list[int]:
        return [match.start() for match in _TOP_LEVEL_LINE.finditer(self.text, self.body_start)]

    @cached_property
    def _definitions(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for match in _DEFINITION.finditer(self.text, self.body_start):
            found.setdefault(match.group(1) or match.group(2), []).append(match.start())
        return found

    def offset(self, name: str) -> int:
        return self._definitions[name][0]

    def header_binding(self, name: str) -> ast.stmt | None:
        # The last binding wins, as when the module runs.
        return next((s for s in reversed(self.header) if name in bound_names(s)), None)

    def star_sources(self) -> list[str]:
        """The SDK modules this one star-imports, last first (a later star import wins)."""
        return [
            statement.module
            for statement in reversed(self.header)
            if isinstance(statement, ast.ImportFrom)
            and statement.level == 1
            and statement.module
            and [alias.name for alias in statement.names] == ["*"]
        ]

    def definition(self, name: str) -> ast.stmt | None:
        """The top-level statement after the header that defines `name`, parsed on its own: from its
        first decorator to the next top-level line at which the text parses as one statement."""
        offsets = self._definitions.get(name, [])
        if not offsets:
            return None
        if len(offsets) > 1:
            # Overloads at module level, or a redefinition: which one callers see is not a copy away.
            raise StubError(f"{self.path}: {name} is defined {len(offsets)} times; the generator copies one definition")
        index = self._starts.index(offsets[0])
        first = index
        while first > 0 and self.text.startswith("@", self._starts[first - 1]):
            first -= 1
        for end in [*self._starts[index + 1 :], len(self.text)]:
            try:
                parsed = ast.parse(self.text[self._starts[first] : end]).body
            except SyntaxError:
                continue  # the cut fell inside a string or a bracket: take the next line
            if len(parsed) == 1 and name in bound_names(parsed[0]):
                return parsed[0]
            break
        raise StubError(f"{self.path}: no single top-level statement defines {name}")


@dataclass
class Slice:
    """The part of each SDK module that the stubs keep."""

    package_dir: Path
    modules: dict[str, SdkModule] = field(default_factory=dict)
    # module -> name -> the definition as it goes into the stub
    definitions: dict[str, dict[str, ast.stmt]] = field(default_factory=dict)
    # module -> the names bound in its header (imports, assignments) that the kept code needs
    header_names: dict[str, set[str]] = field(default_factory=dict)
    # module -> (`import a.b`) dotted imports the kept code reads
    dotted: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    # module -> the SDK modules it star-imports that a kept name comes from
    star_used: dict[str, set[str]] = field(default_factory=dict)

    def module(self, name: str) -> SdkModule:
        if name not in self.modules:
            path = self.package_dir / ("__init__.py" if name == "__init__" else f"{name}.py")
            if not path.is_file():
                raise StubError(f"{PACKAGE}.{name}: no such module in {self.package_dir}")
            self.modules[name] = SdkModule(name, path, path.read_text(encoding="utf-8"))
            self.definitions[name] = {}
            self.header_names[name] = set()
            self.dotted[name] = set()
            self.star_used[name] = set()
        return self.modules[name]

    def require(self, roots: Iterable[tuple[str, str]]) -> None:
        pending = list(roots)
        seen: set[tuple[str, str]] = set()
        while pending:
            module_name, name = pending.pop()
            if (module_name, name) not in seen:
                seen.add((module_name, name))
                pending.extend(self._resolve(module_name, name))

    def _resolve(self, module_name: str, name: str) -> list[tuple[str, str]]:
        """Keep what defines `name` in the module; return what that refers to in turn."""
        module = self.module(module_name)
        binding = module.header_binding(name)
        if binding is not None:
            self.header_names[module_name].add(name)
            _, references = stub_statement(binding)
            if isinstance(binding, ast.ImportFrom) and binding.level == 1 and binding.module:
                source = next(alias.name for alias in binding.names if (alias.asname or alias.name) == name)
                return [*self._needs(module, references), (binding.module, source)]
            return self._needs(module, references)
        statement = module.definition(name)
        if statement is not None:
            stubbed, references = stub_statement(statement)
            self.definitions[module_name][name] = stubbed
            return self._needs(module, references)
        for source in module.star_sources():
            if name in self.module(source).exported:
                self.star_used[module_name].add(source)
                return [(source, name)]
        if hasattr(builtins, name):
            return []
        raise StubError(f"{module.path}: cannot tell where {name} comes from")

    def _needs(self, module: SdkModule, references: References) -> list[tuple[str, str]]:
        needed = [(module.name, name) for name in references.names]
        for owner, attribute in references.attributes:
            binding = module.header_binding(owner)
            submodule = _sdk_submodule(binding, owner)
            if submodule is not None:
                needed.append((submodule, attribute))
            elif isinstance(binding, ast.Import):
                self.dotted[module.name].add((owner, attribute))
        return needed

    def stub_text(self, module_name: str, header: str) -> str:
        module = self.modules[module_name]
        kept = self.definitions[module_name]
        lines = [header]
        for statement in module.header:
            copied = self._kept_header_statement(module, statement, set(kept))
            if copied is None:
                continue
            if (
                isinstance(copied, ast.Assign)
                and isinstance(copied.value, ast.List)
                and bound_names(copied) == {"__all__"}
            ):
                # One name a line, as in the SDK: an upgrade's changes show as one-line diffs.
                lines.append("__all__ = [" + "".join(f"\n    {ast.unparse(n)}," for n in copied.value.elts) + "\n]")
            else:
                lines.append(ast.unparse(copied))
        lines.extend(f"\n\n{ast.unparse(kept[name])}" for name in sorted(kept, key=module.offset))
        return "\n".join(lines) + "\n"

    def _kept_header_statement(self, module: SdkModule, statement: ast.stmt, kept: set[str]) -> ast.stmt | None:
        needed = self.header_names[module.name]
        if isinstance(statement, ast.Import):
            names = [alias for alias in statement.names if self._import_needed(module, alias)]
            return ast.Import(names=names) if names else None
        if isinstance(statement, ast.ImportFrom):
            if [alias.name for alias in statement.names] == ["*"]:
                return statement if statement.module in self.star_used[module.name] else None
            names = [alias for alias in statement.names if (alias.asname or alias.name) in needed]
            return ast.ImportFrom(module=statement.module, names=names, level=statement.level) if names else None
        if isinstance(statement, ast.If) and needed & bound_names(statement):
            body = [s for s in (self._kept_header_statement(module, s, kept) for s in statement.body) if s]
            orelse = [s for s in (self._kept_header_statement(module, s, kept) for s in statement.orelse) if s]
            return ast.If(test=statement.test, body=body or [ast.Pass()], orelse=orelse)
        if isinstance(statement, ast.Assign) and bound_names(statement) == {"__all__"}:
            exported = [name for name in module.exported if name in kept]
            return ast.Assign(targets=statement.targets, value=ast.List([ast.Constant(n) for n in exported]), lineno=0)
        if needed & bound_names(statement):
            return stub_statement(statement)[0]
        return None

    def _import_needed(self, module: SdkModule, alias: ast.alias) -> bool:
        if alias.asname or "." not in alias.name:
            return (alias.asname or alias.name) in self.header_names[module.name]
        # `import pulumi.runtime` is kept only when the kept code reads `pulumi.runtime`.
        owner, attribute = alias.name.split(".", 1)
        return (owner, attribute) in self.dotted[module.name]


def _sdk_submodule(binding: ast.stmt | None, owner: str) -> str | None:
    """The SDK module that `owner` names when bound by `from . import <module>`."""
    if isinstance(binding, ast.ImportFrom) and binding.level == 1 and binding.module is None:
        return owner if owner in {alias.asname or alias.name for alias in binding.names} else None
    return None


def package_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise StubError(f"{PACKAGE} is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations)))


def header(version: str) -> str:
    return (
        f"# Generated by scripts/cloudflare_stubs.py from {DISTRIBUTION} {version}; do not edit.\n"
        "# mypy reads this slice of the SDK (the names the project uses and all their signatures need)\n"
        f"# instead of the whole installed SDK. Regenerate after an SDK upgrade: `{REGENERATE}`."
    )


def expected_files(root: Path) -> dict[Path, str]:
    """Each stub file, by path, with its content."""
    sdk = Slice(package_dir())
    sdk.require(("__init__", name) for name in used_names(root))
    text = header(importlib.metadata.version(DISTRIBUTION))
    files = {}
    for module_name in sdk.modules:
        if module_name == "__init__" or sdk.definitions[module_name] or sdk.header_names[module_name]:
            stub_name = f"{module_name}.pyi"
            files[root / STUBS_DIR / stub_name] = sdk.stub_text(module_name, text)
    return dict(sorted(files.items()))


def stale_files(root: Path) -> dict[str, str]:
    """Each stub file that differs from what would be generated, with how."""
    expected = expected_files(root)
    present = set((root / STUBS_DIR).glob("*.pyi"))
    found = {}
    for path in sorted(set(expected) | present):
        if path not in expected:
            found[path.relative_to(root).as_posix()] = "no longer generated"
        elif not path.exists():
            found[path.relative_to(root).as_posix()] = "missing"
        elif path.read_text(encoding="utf-8") != expected[path]:
            found[path.relative_to(root).as_posix()] = "stale"
    return found


def write(root: Path) -> dict[Path, str]:
    expected = expected_files(root)
    directory = root / STUBS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for path in set(directory.glob("*.pyi")) - set(expected):
        path.unlink()
    for path, content in expected.items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
    return expected


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report stale stub files (exit 1)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_files(root)
            for name, how in stale.items():
                print(f"{name}: {how}; run `{REGENERATE}` and commit the result", file=sys.stderr)
            return 1 if stale else 0
        written = write(root)
    except StubError as error:
        print(f"cloudflare_stubs: {error}", file=sys.stderr)
        return 2
    size = sum(len(content.encode()) for content in written.values())
    print(f"wrote {STUBS_DIR.as_posix()}/: {len(written)} files, {size} bytes, for {len(used_names(root))} names")
    return 0


if __name__ == "__main__":
    sys.exit(main())
