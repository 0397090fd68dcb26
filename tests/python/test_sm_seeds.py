"""The seed documents' AWS snippets, run unchanged against keyward.

Seed 001 reads a secret with boto3 (`get_secret(secret_name, region_name)`);
seed 004 creates one with the AWS CLI. Neither names an endpoint or credentials:
the environment (conftest) points the AWS SDKs at keyward.
"""

import json
import os
import secrets as pysecrets
import shutil
import subprocess
import sys

import boto3

# Seed 001 (FastAPI backend boilerplate, "AWS Secrets Manager"), verbatim.
SEED_001 = '''
import boto3
from botocore.exceptions import ClientError

def get_secret(secret_name, region_name):
    session = boto3.session.Session()
    client = session.client(
        service_name='secretsmanager',
        region_name=region_name
    )
    
    try:
        get_secret_value_response = client.get_secret_value(
            SecretId=secret_name
        )
        return get_secret_value_response['SecretString']
    except ClientError as e:
        raise e

# Usage
jwt_secret = get_secret("prod/backend/jwt-secret", "us-east-1")
'''

# Seed 004 (MueJam Library, "Production Deployment" step 2), verbatim apart from
# the placeholder, which the guide says to replace with a generated key.
SEED_004 = """aws secretsmanager create-secret \\
  --name production/django/secret-key \\
  --secret-string '{"SECRET_KEY":"<your-generated-key>"}'"""


def aws_cli():
    here = os.path.join(os.path.dirname(sys.executable), "aws")
    return here if os.path.exists(here) else shutil.which("aws")


def test_seed_001_get_secret(keyward):
    value = pysecrets.token_urlsafe(32)
    boto3.session.Session().client("secretsmanager", region_name="us-east-1").create_secret(
        Name="prod/backend/jwt-secret", SecretString=value
    )
    scope = {}
    exec(compile(SEED_001, "seed_001", "exec"), scope)
    assert scope["jwt_secret"] == value
    records = keyward.audit()
    reads = [r for r in records if r["action"] == "secretsmanager:GetSecretValue"
             and (r.get("resource") or "").startswith(
                 "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/backend/jwt-secret-")]
    assert reads and reads[0]["outcome"] == "success"
    assert value not in json.dumps(records)


def test_seed_001_missing_secret_raises_client_error(keyward):
    from botocore.exceptions import ClientError

    scope = {}
    code = SEED_001.replace("prod/backend/jwt-secret", "prod/backend/does-not-exist")
    try:
        exec(compile(code, "seed_001", "exec"), scope)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException"
    else:
        raise AssertionError("expected ResourceNotFoundException")


def test_seed_004_create_secret_with_awscli(keyward):
    cli = aws_cli()
    assert cli, "awscli is not installed in this venv (scripts/aws-client-tests.sh installs it)"
    key = pysecrets.token_urlsafe(50)
    command = SEED_004.replace("<your-generated-key>", key)
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(cli) + os.pathsep + env.get("PATH", "")
    out = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout)
    assert created["Name"] == "production/django/secret-key"
    assert created["ARN"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:production/django/secret-key-")
    assert "VersionId" in created

    # Read back the way the application would (boto3) and with the CLI.
    got = boto3.session.Session().client("secretsmanager", region_name="us-east-1").get_secret_value(
        SecretId="production/django/secret-key")
    assert json.loads(got["SecretString"]) == {"SECRET_KEY": key}
    out = subprocess.run(
        [cli, "secretsmanager", "get-secret-value", "--secret-id", "production/django/secret-key",
         "--query", "SecretString", "--output", "text"],
        env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"SECRET_KEY": key}

    # Creating it twice is refused the way AWS refuses it.
    out = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "ResourceExistsException" in out.stderr
    assert key not in out.stderr

    records = keyward.audit()
    creates = [r for r in records if r["action"] == "secretsmanager:CreateSecret"
               and "production/django/secret-key" in (r.get("resource") or "")]
    assert {r["outcome"] for r in creates} >= {"success", "invalid"}
