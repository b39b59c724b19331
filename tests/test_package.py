"""The published artefact: the wheel installs into a fresh virtual environment and a consumer
app composes DownloaderPattern into a larger, multi-stack app.

The fresh venv gets the built wheel (``--no-deps --no-index``) and, instead of a second 430 MB
aws-cdk-lib install, a view of the dev venv's already-installed packages without this project
(neither its editable finder nor its dist-info), so ``import sfn_downloader`` can only find the
wheel's copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.slow  # builds the sdist and the wheel, installs it, synthesizes with it

ROOT = Path(__file__).resolve().parent.parent
DIST_NAME = "sfn_downloader"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

CONSUMER_APP = textwrap.dedent(
    """
    import importlib.metadata
    import json
    import sys

    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_ssm as ssm

    import sfn_downloader
    from sfn_downloader import DownloaderPattern, ItemField

    app = cdk.App(outdir=sys.argv[1])
    data = cdk.Stack(app, "Data")
    players = DownloaderPattern(
        data,
        "PlayerCount",
        endpoint="https://esi.evetech.net",
        path="/v2/status",
        result_selector={"players.$": "$.ResponseBody.players"},
        item={"count": ItemField.number("$.players")},
    )

    # Another team's stack: reads the table, starts runs by hand, and adds a second
    # downloader writing into the first one's table.
    analytics = cdk.Stack(app, "Analytics")
    role = iam.Role(analytics, "Reader", assumed_by=iam.AccountRootPrincipal())
    players.table.grant_read_data(role)
    players.state_machine.grant_start_execution(role)
    ssm.StringParameter(
        analytics, "TableName", string_value=players.table.table_name,
        parameter_name="/analytics/player-count-table",
    )
    DownloaderPattern(
        analytics,
        "ServerVersion",
        endpoint="https://esi.evetech.net",
        path="/v2/status",
        result_selector={"version.$": "$.ResponseBody.server_version"},
        item={"version": ItemField.string("$.version")},
        table=players.table,
    )
    app.synth()
    print(json.dumps({
        "file": sfn_downloader.__file__,
        "version": importlib.metadata.version("sfn-downloader"),
        "dunder_version": sfn_downloader.__version__,
        "distributions": sorted(
            str(d._path) for d in importlib.metadata.distributions()
            if d.metadata["Name"] == "sfn-downloader"
        ),
        "sys_path": sys.path,
    }))
    """
)


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m build``: the sdist, then the wheel built from it (as PyPI users get it).

    ``--no-isolation`` uses the dev venv's setuptools (``dev`` extra) instead of downloading it.
    """
    outdir = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", outdir, ROOT)
    return outdir


@pytest.fixture(scope="session")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob(f"{DIST_NAME}-*-py3-none-any.whl")
    return found


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A new venv holding the wheel, and the dev venv's packages minus this project."""
    base = tmp_path_factory.mktemp("fresh")
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"))
    purelib = Path(str(purelib).strip())
    # A view of the dev venv's site-packages without this project: its editable install
    # (``__editable__*`` finder and .pth), its dist-info, and any other .pth.
    deps = base / "deps"
    deps.mkdir()
    dev_site = Path(sysconfig.get_path("purelib"))
    for entry in dev_site.iterdir():
        name = entry.name
        if name.startswith(("__editable__", DIST_NAME)) or name.endswith(".pth"):
            continue
        (deps / name).symlink_to(entry)
    (purelib / "zz_dev_dependencies.pth").write_text(f"{deps}\n")
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
        "--no-deps", "--no-index", "--disable-pip-version-check", wheel,
    )  # fmt: skip
    return venv


@pytest.fixture(scope="session")
def consumer(fresh_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The consumer app synthesized in the fresh venv, from outside the repository."""
    workdir = tmp_path_factory.mktemp("consumer")
    (workdir / "app.py").write_text(CONSUMER_APP)
    # -I: no PYTHONPATH, no user site, no script directory magic beyond app.py's own.
    out = _run(fresh_venv / "bin" / "python", "-I", "app.py", workdir / "cdk.out", cwd=workdir)
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    report["templates"] = {
        name: json.loads((workdir / "cdk.out" / f"{name}.template.json").read_text())
        for name in ("Data", "Analytics")
    }
    report["manifest"] = json.loads((workdir / "cdk.out" / "manifest.json").read_text())
    return report


def _metadata(wheel: Path) -> Any:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return HeaderParser().parsestr(archive.read(name).decode())


def test_build_makes_an_sdist_and_a_wheel(dist: Path) -> None:
    assert sorted(p.name for p in dist.iterdir()) == [
        f"{DIST_NAME}-{VERSION}-py3-none-any.whl",
        f"{DIST_NAME}-{VERSION}.tar.gz",
    ]


def test_wheel_ships_the_package_and_its_type_marker_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {DIST_NAME, f"{DIST_NAME}-{wheel.name.split('-')[1]}.dist-info"}
    assert f"{DIST_NAME}/py.typed" in names
    assert f"{DIST_NAME}/local/__init__.py" in names


def test_wheel_metadata_is_complete(wheel: Path) -> None:
    meta = _metadata(wheel)
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["Description-Content-Type"] == "text/markdown"
    classifiers = meta.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    assert "Framework :: AWS CDK :: 2" in classifiers
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL"))
    assert {"Repository", "Changelog", "Issues", "Documentation"} <= set(urls)


def test_runtime_dependencies_are_ranges_with_a_tested_floor(wheel: Path) -> None:
    requires = {
        req.name: req
        for req in map(Requirement, _metadata(wheel).get_all("Requires-Dist"))
        if req.marker is None
    }
    assert set(requires) == {"aws-cdk-lib", "constructs"}
    for req in requires.values():
        operators = {spec.operator for spec in req.specifier}
        assert operators == {">=", "<"}, f"{req}: a range with a floor and a major cap"
    # The floors the suite was run against (docs/compatibility.md, "Supported versions"): change
    # them together with that text, after running the suite against the new floor.
    assert str(requires["aws-cdk-lib"].specifier) == "<3,>=2.252.0"
    assert str(requires["constructs"].specifier) == "<11,>=10.5.0"


def test_the_wheel_not_the_repository_is_imported(
    consumer: dict[str, Any], fresh_venv: Path
) -> None:
    assert Path(consumer["file"]).is_relative_to(fresh_venv)
    assert not any(Path(entry).is_relative_to(ROOT) for entry in consumer["sys_path"] if entry)
    (dist_info,) = consumer["distributions"]
    assert Path(dist_info).is_relative_to(fresh_venv)
    assert consumer["version"] == VERSION == consumer["dunder_version"]


def test_consumer_stack_reads_the_table_across_stacks(consumer: dict[str, Any]) -> None:
    data, analytics = consumer["templates"]["Data"], consumer["templates"]["Analytics"]
    exports = {
        out["Export"]["Name"]: out["Value"]
        for out in data.get("Outputs", {}).values()
        if "Export" in out
    }
    table_id = next(
        lid for lid, res in data["Resources"].items() if res["Type"] == "AWS::DynamoDB::Table"
    )
    assert {"Ref": table_id} in exports.values()
    assert {"Fn::GetAtt": [table_id, "Arn"]} in exports.values()

    imports = json.dumps(analytics)
    assert "Fn::ImportValue" in imports
    policies = [
        res["Properties"]["PolicyDocument"]["Statement"]
        for res in analytics["Resources"].values()
        if res["Type"] == "AWS::IAM::Policy"
    ]
    reader = next(s for s in policies if any("dynamodb:Query" in st["Action"] for st in s))
    (read,) = [st for st in reader if "dynamodb:Query" in st["Action"]]
    assert "dynamodb:PutItem" not in read["Action"]
    assert "Fn::ImportValue" in json.dumps(read["Resource"])
    assert any("states:StartExecution" in json.dumps(st["Action"]) for st in reader)


def test_second_downloader_writes_into_the_imported_table(consumer: dict[str, Any]) -> None:
    analytics = consumer["templates"]["Analytics"]
    types = [res["Type"] for res in analytics["Resources"].values()]
    assert "AWS::DynamoDB::Table" not in types
    assert types.count("AWS::StepFunctions::StateMachine") == 1
    machine = next(
        res for res in analytics["Resources"].values()
        if res["Type"] == "AWS::StepFunctions::StateMachine"
    )  # fmt: skip
    assert "Fn::ImportValue" in json.dumps(machine["Properties"]["DefinitionString"])


def test_the_library_adds_no_outputs_of_its_own(consumer: dict[str, Any]) -> None:
    """Only the exports CDK makes for the cross-stack references; no library outputs."""
    for name, template in consumer["templates"].items():
        own = [lid for lid, out in template.get("Outputs", {}).items() if "Export" not in out]
        assert not own, f"{name}: {own}"


def test_manifest_orders_the_stacks(consumer: dict[str, Any]) -> None:
    assert "Data" in consumer["manifest"]["artifacts"]["Analytics"]["dependencies"]
