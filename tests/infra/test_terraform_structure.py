"""infra/terraform follows the house layout and its pieces fit together (checked with python-hcl2).

Terraform itself cannot run here (no binary, no providers), so these tests check what
`terraform validate` would catch between our own files: every file parses, every variable
is typed and described, environments call modules with exactly the inputs they declare,
and every module output an environment uses exists.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra.terraform_files import (
    ENVS_ROOT,
    MODULE_FILES,
    MODULES_ROOT,
    TERRAFORM_ROOT,
    environments,
    load_root,
    modules,
    parse,
    unquote,
)

MODULE_REFERENCE = re.compile(r"\bmodule\.([a-z0-9_]+)\.([a-z0-9_]+)")
EXPECTED_MODULES = {"s3_lake", "iam", "emr", "snowflake"}
EXPECTED_ENVIRONMENTS = {"dev", "prod"}


def test_every_tf_file_parses() -> None:
    files = sorted(TERRAFORM_ROOT.rglob("*.tf"))

    parsed = {path.relative_to(TERRAFORM_ROOT): parse(path) for path in files}

    assert len(parsed) >= 4 * len(EXPECTED_MODULES) + 4 * len(EXPECTED_ENVIRONMENTS)
    assert all(parsed.values())


def test_modules_and_environments_are_the_agreed_ones() -> None:
    assert set(modules()) == EXPECTED_MODULES
    assert set(environments()) == EXPECTED_ENVIRONMENTS


@pytest.mark.parametrize("name", sorted(EXPECTED_MODULES))
def test_module_has_the_four_files_and_no_provider(name: str) -> None:
    module = load_root(MODULES_ROOT / name)

    assert set(module.files) == set(MODULE_FILES)
    assert not module.has("provider"), f"{name} configures a provider; environments own them"
    (terraform,) = module.files["versions.tf"]["terraform"]
    assert "backend" not in terraform
    assert terraform["required_providers"], f"{name} must name the providers it needs"


def test_every_variable_is_typed_and_described() -> None:
    roots = {**modules(), **{f"envs/{k}": v for k, v in environments().items()}}
    untyped = []
    for root_name, root in roots.items():
        for variable, body in root.all("variable").items():
            description = unquote(body.get("description", ""))
            if "type" not in body or not isinstance(description, str) or len(description) < 10:
                untyped.append(f"{root_name}: {variable}")
    assert untyped == []


def test_every_output_is_described() -> None:
    missing = [
        f"{name}: {output}"
        for name, module in modules().items()
        for output, body in module.all("output").items()
        if not unquote(body.get("description", ""))
    ]
    assert missing == []


@pytest.mark.parametrize("env", sorted(EXPECTED_ENVIRONMENTS))
def test_environment_calls_modules_with_exactly_their_inputs(env: str) -> None:
    environment = load_root(ENVS_ROOT / env)
    calls = environment.all("module")
    assert set(calls) == EXPECTED_MODULES

    for call_name, call in calls.items():
        source = unquote(call["source"])
        module = load_root((environment.path / source).resolve())
        declared = module.all("variable")
        required = {name for name, body in declared.items() if "default" not in body}
        given = {key for key in call if key not in {"source", "__is_block__", "__comments__"}}
        assert given <= set(declared), f"{env}.{call_name}: unknown inputs {given - set(declared)}"
        assert required <= given, f"{env}.{call_name}: missing inputs {required - given}"


@pytest.mark.parametrize("env", sorted(EXPECTED_ENVIRONMENTS))
def test_module_outputs_used_by_an_environment_exist(env: str) -> None:
    environment = load_root(ENVS_ROOT / env)
    calls = environment.all("module")
    text = "\n".join(path.read_text() for path in environment.path.glob("*.tf"))
    references = set(MODULE_REFERENCE.findall(text))
    assert references, "the environment wires no module outputs"

    for call_name, output in references:
        source = unquote(calls[call_name]["source"])
        outputs = load_root((environment.path / source).resolve()).all("output")
        assert output in outputs, f"{env}: module.{call_name}.{output} is not an output"


@pytest.mark.parametrize("env", sorted(EXPECTED_ENVIRONMENTS))
def test_environment_owns_providers_and_backend_and_commits_only_examples(env: str) -> None:
    environment = load_root(ENVS_ROOT / env)

    assert set(environment.all("provider")) == {"aws", "snowflake"}
    (terraform,) = environment.files["versions.tf"]["terraform"]
    (backend,) = terraform["backend"]
    assert set(backend) == {'"s3"'}
    extra = sorted(
        path.name
        for path in environment.path.iterdir()
        if path.suffix != ".tf" and not path.name.endswith(".tfvars.example")
    )
    assert extra == [], "only *.tf and *.tfvars.example belong in an environment"
    assert (environment.path / "terraform.tfvars.example").is_file()


def test_snowflake_defaults_are_the_agreed_names() -> None:
    variables = modules()["snowflake"].all("variable")
    defaults = {name: unquote(body.get("default")) for name, body in variables.items()}

    assert defaults["database_name"] == "LAKEHOUSE"
    assert {"BRONZE", "SILVER", "GOLD"} <= {unquote(s) for s in defaults["schema_names"]}
    assert defaults["stage_name"] == "LAKE_STAGE"
    assert defaults["storage_integration_name"] == "LAKEHOUSE_S3_INTEGRATION"
    assert defaults["external_volume_name"] == "LAKEHOUSE_LAKE_VOLUME"
    assert defaults["catalog_integration_name"] == "LAKEHOUSE_DELTA_CATALOG"
    main = (MODULES_ROOT / "snowflake" / "main.tf").read_text()
    assert "CATALOG_SOURCE = OBJECT_STORE" in main
    assert "TABLE_FORMAT = DELTA" in main


def test_emr_outputs_what_airflow_needs() -> None:
    env_outputs = set(environments()["prod"].all("output"))

    assert {"emr_application_id", "emr_job_role_arn", "artifacts_uri", "logs_uri"} <= env_outputs


def policy_statements(module_name: str) -> dict[str, list[dict[str, Any]]]:
    """Statements of each aws_iam_policy_document of a module, by document name."""
    module = load_root(MODULES_ROOT / module_name)
    documents: dict[str, list[dict[str, Any]]] = {}
    for parsed in module.files.values():
        for entry in parsed.get("data", []):
            for data_type, named in entry.items():
                if unquote(data_type) != "aws_iam_policy_document":
                    continue
                for name, body in named.items():
                    if isinstance(body, dict):
                        documents[unquote(name)] = body.get("statement", [])
    return documents


def test_iam_permissions_have_no_wildcard_actions_or_resources() -> None:
    documents = policy_statements("iam")
    permissions = {name: s for name, s in documents.items() if not name.endswith("_trust")}

    assert set(permissions) == {"emr_job", "snowflake"}
    for name, statements in permissions.items():
        for statement in statements:
            assert all("*" not in unquote(action) for action in statement["actions"]), name
            resources = statement["resources"]
            # A computed list (concat, for) is one expression string: check it whole.
            resources = [resources] if isinstance(resources, str) else resources
            for resource in map(unquote, resources):
                assert resource != "*", name
                # Objects only under a named prefix, never the whole bucket.
                assert "${var.bucket_arn}/*" not in resource, name
                assert "${var.bucket_arn}" in resource or resource == "${var.kms_key_arn}", name


def test_lake_bucket_refuses_non_tls_access() -> None:
    (statement,) = policy_statements("s3_lake")["lake_bucket"]

    assert unquote(statement["effect"]) == "Deny"
    (condition,) = statement["condition"]
    assert unquote(condition["variable"]) == "aws:SecureTransport"
    assert [unquote(v) for v in condition["values"]] == ["false"]
