"""checkov over infra/terraform: no failed check, and every skip says why on its own line.

checkov lives in its own environment (.lakehouse/checkov, from infra/terraform/checks),
because its dependency pins clash with dbt's and pyspark's; set-up installs it.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from lakehouse.settings import PROJECT_ROOT
from tests.infra.terraform_files import TERRAFORM_ROOT

CHECKOV = PROJECT_ROOT / ".lakehouse" / "checkov" / "bin" / "checkov"
# The skips the modules carry, each justified in a `#checkov:skip=ID:reason` comment.
EXPECTED_SKIPS = {
    "CKV_AWS_18",  # access logging: CloudTrail data events instead of a log bucket
    "CKV_AWS_144",  # cross-region replication: a per-account disaster-recovery choice
    "CKV2_AWS_62",  # event notifications: nothing consumes them
    "CKV_AWS_109",  # KMS key policy: "*" is the key itself
    "CKV_AWS_111",
    "CKV_AWS_356",
}


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    """checkov's JSON report of the Terraform under infra/terraform."""
    assert CHECKOV.is_file(), f"{CHECKOV} is missing: run scripts/setup.sh"
    completed = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(TERRAFORM_ROOT),
            "--framework",
            "terraform",
            "--output",
            "json",
            "--compact",
            # No network here: use the checks shipped in the package.
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Exit code 1 means failed checks; the report says which, so assert on it below.
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    assert isinstance(report, dict), "expected one report (the terraform framework)"
    return report


def test_checkov_finds_no_failed_check(checkov_report: dict[str, Any]) -> None:
    summary = checkov_report["summary"]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for check in checkov_report["results"]["failed_checks"]
    ]

    assert failed == []
    assert summary["parsing_errors"] == 0
    # The modules are really scanned: bucket, key, roles, application, policies. Exact for
    # the pinned checkov (infra/terraform/checks) and this Terraform: a change to either
    # changes these figures, and whoever makes it updates them after reading the report.
    assert (summary["resource_count"], summary["passed"], summary["skipped"]) == (40, 96, 9)


def test_every_skip_is_expected_and_justified(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    reasons = {
        check["check_id"]: check["check_result"].get("suppress_comment", "") for check in skipped
    }

    assert set(reasons) == EXPECTED_SKIPS
    assert all(len(reason) > 30 for reason in reasons.values()), reasons
