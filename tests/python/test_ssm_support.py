"""Shared helpers for the SSM tests (no tests here).

The server, its admin credentials and the CLI come from the environment that
scripts/ssm-tests.sh (or the shared harness) sets up: AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (admin), KEYWARD_BIN, KEYWARD_ADDR.
"""

import json
import os
import subprocess
import tempfile
import uuid

import boto3
import pytest
from botocore.config import Config

if not os.environ.get("AWS_ENDPOINT_URL"):
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the SSM tests through scripts/ssm-tests.sh (AWS_ENDPOINT_URL is unset)")
    pytest.skip(
        "no keyward server: run these through scripts/ssm-tests.sh (it sets AWS_ENDPOINT_URL, "
        "the admin credentials, KEYWARD_BIN and KEYWARD_ADDR)",
        allow_module_level=True,
    )

REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
ACCOUNT = os.environ.get("AWS_ACCOUNT_ID", "123456789012")


def ssm_client(access_key=None, secret_key=None, region=REGION):
    kw = {}
    if access_key:
        kw = {"aws_access_key_id": access_key, "aws_secret_access_key": secret_key}
    return boto3.client(
        "ssm",
        region_name=region,
        config=Config(retries={"max_attempts": 1}),
        **kw,
    )


def code(excinfo):
    """The AWS error code of a pytest.raises(ClientError) result."""
    return excinfo.value.response["Error"]["Code"]


def arn(name, region=REGION):
    return f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{name.lstrip('/')}"


def keyward(*args):
    """Runs the keyward CLI against the test server as the admin."""
    out = subprocess.run(
        [os.environ.get("KEYWARD_BIN", "keyward"), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def make_principal(name, policy_doc):
    """Creates a principal with `policy_doc` attached; returns (key id, secret)."""
    creds = json.loads(keyward("principal", "create", name, "--json"))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(policy_doc, f)
        path = f.name
    try:
        keyward("policy", "put", name, "--file", path)
    finally:
        os.unlink(path)
    keyward("principal", "attach", name, name)
    return creds["access_key_id"], creds["secret_access_key"]


def unique_prefix():
    return f"/kwtest/{uuid.uuid4().hex[:12]}"


@pytest.fixture
def ssm():
    return ssm_client()


@pytest.fixture
def prefix():
    return unique_prefix()
