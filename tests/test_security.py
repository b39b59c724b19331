"""Secret hygiene: wherever a credential goes, the cloud assembly holds only a reference."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk

from scenarios import build_from_secret, build_full


def test_cloud_assembly_holds_only_dynamic_references(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    build_full(cdk.Stack(app, "Full"))
    build_from_secret(cdk.Stack(app, "FromSecret"))
    app.synth()
    full = json.loads((tmp_path / "Full.template.json").read_text())
    from_secret = json.loads((tmp_path / "FromSecret.template.json").read_text())

    (machine,) = [r for r in full["Resources"].values()
                  if r["Type"] == "AWS::StepFunctions::StateMachine"]  # fmt: skip
    assert machine["Properties"]["DefinitionSubstitutions"] == {
        "AuthHeaderValue": "{{resolve:secretsmanager:example/api-token:SecretString:::}}"
    }
    assert '"MyCustomAuth":["${AuthHeaderValue}"]' in json.dumps(
        machine["Properties"]["DefinitionString"]
    ).replace("\\", "")

    (method,) = [r for r in from_secret["Resources"].values()
                 if r["Type"] == "AWS::ApiGateway::Method"]  # fmt: skip
    injected = method["Properties"]["Integration"]["RequestParameters"][
        "integration.request.header.Authorization"
    ]
    assert "{{resolve:secretsmanager:" in json.dumps(injected)

    # Every template of the assembly: a header that carries a credential holds a reference.
    for path in tmp_path.glob("*.template.json"):
        text = path.read_text()
        for header_value in re.findall(r'MyCustomAuth\\?"\s*:\s*\[\\?"([^"\\]*)', text):
            assert header_value == "${AuthHeaderValue}", path
        for resource in json.loads(text)["Resources"].values():
            if resource["Type"] == "AWS::ApiGateway::Method":
                mapped = resource["Properties"]["Integration"]["RequestParameters"].get(
                    "integration.request.header.Authorization", "method.request.header."
                )
                assert "method.request.header." in json.dumps(mapped) or (
                    "{{resolve:secretsmanager:" in json.dumps(mapped)
                ), path
