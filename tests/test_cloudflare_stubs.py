"""typings/pulumi_cloudflare, the slice of the Cloudflare SDK that mypy reads (scripts/cloudflare_stubs.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from harness import ROOT

from scripts import cloudflare_stubs

STUBS = ROOT / cloudflare_stubs.STUBS_DIR


@pytest.fixture(scope="module")
def expected() -> dict[Path, str]:
    """The stubs as generated from the installed SDK and the code as it is."""
    return cloudflare_stubs.expected_files(ROOT)


def top_level_names(path: Path) -> set[str]:
    return {name for statement in ast.parse(path.read_text()).body for name in cloudflare_stubs.bound_names(statement)}


def exported(path: Path) -> list[str]:
    for statement in ast.parse(path.read_text()).body:
        if isinstance(statement, ast.Assign) and cloudflare_stubs.bound_names(statement) == {"__all__"}:
            return list(ast.literal_eval(statement.value))
    return []


def test_the_committed_stubs_match_the_installed_sdk(expected: dict[Path, str]) -> None:
    committed = {path: path.read_text() for path in STUBS.glob("*.pyi")}
    stale = sorted(path.name for path in set(committed) | set(expected) if committed.get(path) != expected.get(path))
    assert not stale, (
        f"typings/pulumi_cloudflare is stale ({', '.join(stale)}) against the installed pulumi-cloudflare "
        f"or the names the code uses; run `{cloudflare_stubs.REGENERATE}` and commit the result"
    )


def test_every_name_the_code_uses_is_defined_in_the_stubs() -> None:
    names = cloudflare_stubs.used_names(ROOT)
    assert {"ZeroTrustAccessGroup", "ZeroTrustAccessIdentityProvider"} <= set(names)
    # Read as mypy reads them: the package's star imports bring each module's `__all__`.
    package = ast.parse((STUBS / "__init__.pyi").read_text()).body
    star_imported = [s.module for s in package if isinstance(s, ast.ImportFrom) and s.names[0].name == "*"]
    provided = {}
    for module in star_imported:
        assert module is not None
        path = STUBS / f"{module}.pyi"
        defined = top_level_names(path)
        for name in exported(path):
            assert name in defined, f"{path.name} exports {name} but does not define it"
            provided[name] = path.name
    assert sorted(name for name in names if name not in provided) == []


def test_the_stubs_copy_each_sdk_signature_and_decorator_unchanged() -> None:
    # The resource and function modules are small enough to parse whole here, independently of
    # the generator's statement-by-statement reading (which `_inputs` and `outputs` go through too).
    package = cloudflare_stubs.package_dir()
    for module in ("zero_trust_access_group", "zero_trust_access_identity_provider", "get_zero_trust_organization"):
        sdk = {s.name: s for s in ast.parse((package / f"{module}.py").read_text()).body if hasattr(s, "name")}
        stub = [s for s in ast.parse((STUBS / f"{module}.pyi").read_text()).body if hasattr(s, "name")]
        assert stub, module
        for definition in stub:
            assert signatures(definition) == signatures(sdk[definition.name]), f"{module}.{definition.name}"


def signatures(definition: ast.stmt) -> list[str]:
    """Decorators, bases and the signature of each function in a definition, bodies and overload
    implementations left out (a stub holds the overloads only)."""
    if isinstance(definition, ast.FunctionDef):
        decorators = [f"@{ast.unparse(decorator)}" for decorator in definition.decorator_list]
        returns = f" -> {ast.unparse(definition.returns)}" if definition.returns else ""
        return [*decorators, f"def {definition.name}({ast.unparse(definition.args)}){returns}"]
    assert isinstance(definition, ast.ClassDef)
    result = [f"@{ast.unparse(decorator)}" for decorator in definition.decorator_list]
    result.append(f"class {definition.name}({', '.join(ast.unparse(base) for base in definition.bases)})")
    for member in cloudflare_stubs.without_overload_implementations(definition.body):
        if isinstance(member, ast.FunctionDef):
            result.extend(signatures(member))
        elif isinstance(member, ast.AnnAssign):
            result.append(ast.unparse(member))
    return result


@pytest.mark.parametrize(
    "statement", ["from pulumi_cloudflare.outputs import GetZoneAccountResult", "import pulumi_cloudflare.outputs"]
)
def test_a_name_taken_from_a_submodule_is_refused_with_the_forms_that_work(tmp_path: Path, statement: str) -> None:
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "probe.py").write_text(f"{statement}\n")
    with pytest.raises(cloudflare_stubs.StubError, match=r"components/probe.py:1 imports pulumi_cloudflare.outputs: "):
        cloudflare_stubs.used_names(tmp_path)


def test_the_used_names_are_read_from_both_import_forms(tmp_path: Path) -> None:
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "one.py").write_text(
        "import pulumi_cloudflare as cf\nimport other\n\ncf.ZeroTrustAccessPolicy('p')\nother.ZeroTrustList\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "two.py").write_text("from pulumi_cloudflare import ZeroTrustGatewayPolicy\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ignored.py").write_text("import pulumi_cloudflare as cf\ncf.Ignored\n")
    assert cloudflare_stubs.used_names(tmp_path) == ["ZeroTrustAccessPolicy", "ZeroTrustGatewayPolicy"]


def test_a_top_level_statement_is_read_whole_past_lines_of_its_docstring_at_column_0() -> None:
    text = (
        "import pulumi\n"
        "__all__ = ['A', 'B']\n"
        "@pulumi.input_type\n"
        "class A:\n"
        '    """\n'
        "class NotAClass:\n"
        '    """\n'
        "    def f(self) -> 'B': return B()\n"
        "# a comment at column 0 inside nothing\n"
        "class B:\n"
        "    x: int\n"
    )
    module = cloudflare_stubs.SdkModule("example", Path("example.py"), text)
    first = module.definition("A")
    assert isinstance(first, ast.ClassDef) and [ast.unparse(d) for d in first.decorator_list] == ["pulumi.input_type"]
    stubbed, references = cloudflare_stubs.stub_statement(first)
    assert ast.unparse(stubbed) == "@pulumi.input_type\nclass A:\n\n    def f(self) -> 'B':\n        ..."
    assert references.names == {"pulumi", "B"} and references.attributes == {("pulumi", "input_type")}
    assert module.exported == ["A", "B"]


def test_check_names_each_stale_file_and_the_command_and_writing_makes_them_fresh(
    tmp_path: Path, expected: dict[Path, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        cloudflare_stubs, "expected_files", lambda root: {root / p.relative_to(ROOT): c for p, c in expected.items()}
    )
    stubs = tmp_path / cloudflare_stubs.STUBS_DIR
    stubs.mkdir(parents=True)
    for path, content in expected.items():
        (stubs / path.name).write_text(content)
    assert cloudflare_stubs.main(["--check"], root=tmp_path) == 0
    (stubs / "_inputs.pyi").write_text((stubs / "_inputs.pyi").read_text().replace("identity_provider_id", "idp_id"))
    (stubs / "outputs.pyi").unlink()
    (stubs / "zero_trust_access_policy.pyi").write_text("")
    capsys.readouterr()
    assert cloudflare_stubs.main(["--check"], root=tmp_path) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"typings/pulumi_cloudflare/{name}: {how}; run `make stubs` and commit the result"
        for name, how in [
            ("_inputs.pyi", "stale"),
            ("outputs.pyi", "missing"),
            ("zero_trust_access_policy.pyi", "no longer generated"),
        ]
    ]
    assert cloudflare_stubs.main([], root=tmp_path) == 0
    assert capsys.readouterr().out.startswith(f"wrote typings/pulumi_cloudflare/: {len(expected)} files, ")
    assert cloudflare_stubs.main(["--check"], root=tmp_path) == 0
