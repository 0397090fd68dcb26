"""Rotation through boto3: RotateSecret drives keyward's built-in rotators and
rotation Lambdas written for AWS (run as command rotators), and AWSPREVIOUS
stays readable afterwards."""

import json
import os
import tempfile
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ROTATOR_LAMBDA_ARN


def _stages(sm, name):
    return sm.describe_secret(SecretId=name)["VersionIdsToStages"]


def test_rotate_secret_with_a_builtin_rotator_keeps_awsprevious_readable(keyward, sm, name):
    first = sm.create_secret(Name=name, SecretString="first-value-0123456789")["VersionId"]
    keyward.cli("rotation", "set", name, "--rotator", "generated", "--format", "urlsafe")
    rot = sm.rotate_secret(
        SecretId=name, RotationRules={"ScheduleExpression": "rate(30 days)", "Duration": "3h"}, RotateImmediately=True
    )
    new = sm.get_secret_value(SecretId=name)
    assert new["VersionId"] == rot["VersionId"] != first
    assert new["SecretString"] != "first-value-0123456789" and len(new["SecretString"]) >= 40
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "first-value-0123456789"
    d = sm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is True
    assert d["RotationRules"] == {"ScheduleExpression": "rate(30 days)", "Duration": "3h"}
    assert "LastRotatedDate" in d and "NextRotationDate" in d
    assert d["VersionIdsToStages"][rot["VersionId"]] == ["AWSCURRENT"]
    assert d["VersionIdsToStages"][first] == ["AWSPREVIOUS"]


def test_rotate_secret_enforces_aws_limits_and_needs_a_configuration(keyward, sm, name):
    sm.create_secret(Name=name, SecretString="v")
    with pytest.raises(ClientError) as e:
        sm.rotate_secret(SecretId=name)
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "No Lambda rotation function ARN" in e.value.response["Error"]["Message"]
    keyward.cli("rotation", "set", name, "--rotator", "generated")
    for rules in ({"ScheduleExpression": "rate(1 hours)"}, {"ScheduleExpression": "cron(0 3 * * * *)"},
                  {"AutomaticallyAfterDays": 1001}, {"ScheduleExpression": "rate(1 days)", "Duration": "25h"}):
        with pytest.raises(ClientError) as e:
            sm.rotate_secret(SecretId=name, RotationRules=rules)
        assert e.value.response["Error"]["Code"] == "InvalidParameterException", rules


def test_an_aws_rotation_lambda_runs_unchanged_as_a_command_rotator(keyward, sm, name):
    provider = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"admin_token": "provider-admin-0123456789", "keys": ["old-key-0123456789"]}, provider)
    provider.close()
    # The admin credential the Lambda finds through `masterarn`, as AWS's
    # alternating-users templates find their master secret.
    master_arn = sm.create_secret(
        Name=name + "-master", SecretString=json.dumps({"admin_token": "provider-admin-0123456789"})
    )["ARN"]
    value = {"api_key": "old-key-0123456789", "provider_file": provider.name, "masterarn": master_arn}
    first = sm.create_secret(Name=name, SecretString=json.dumps(value))["VersionId"]
    token = str(uuid.uuid4())
    # The first rotation: no AWSPREVIOUS yet (the Lambda gets ResourceNotFoundException).
    rot = sm.rotate_secret(
        SecretId=name, ClientRequestToken=token, RotationLambdaARN=ROTATOR_LAMBDA_ARN,
        RotationRules={"AutomaticallyAfterDays": 90}, RotateImmediately=True,
    )
    assert rot["VersionId"] == token
    current = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    previous = json.loads(sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous["api_key"] == "old-key-0123456789"
    assert current["previous_key"] == "old-key-0123456789"
    key = current["api_key"]
    # get_random_password with the templates' parameters: 40 characters, no
    # punctuation, each included type present.
    assert len(key) == 40 and key.isalnum()
    assert any(c.isupper() for c in key) and any(c.islower() for c in key) and any(c.isdigit() for c in key)
    with open(provider.name) as f:
        assert sorted(json.load(f)["keys"]) == sorted([key, "old-key-0123456789"])
    stages = _stages(sm, name)
    assert stages[token] == ["AWSCURRENT"] and stages[first] == ["AWSPREVIOUS"]
    d = sm.describe_secret(SecretId=name)
    assert d["RotationLambdaARN"] == ROTATOR_LAMBDA_ARN
    # Each step ran as a temporary principal, which is gone afterwards.
    steps = [r for r in keyward.audit() if r.get("resource") == d["ARN"] and r.get("action") == "secretsmanager:PutSecretValue"]
    assert steps and all("keyward-rotation-" in (r.get("principal") or "") for r in steps)
    reads = [r for r in keyward.audit() if r.get("resource") == master_arn and r.get("action") == "secretsmanager:GetSecretValue"]
    assert reads and all("keyward-rotation-" in (r.get("principal") or "") for r in reads)
    principals = keyward.cli("principal", "ls", "--json").stdout
    assert "keyward-rotation-" not in principals

    # The second rotation: AWSPREVIOUS exists now; the key before the previous one is revoked.
    second = sm.rotate_secret(SecretId=name, RotateImmediately=True)["VersionId"]
    assert second != token
    newer = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert newer["previous_key"] == key and newer["api_key"] != key
    assert json.loads(sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"])["api_key"] == key
    with open(provider.name) as f:
        assert sorted(json.load(f)["keys"]) == sorted([newer["api_key"], key])
    stages = _stages(sm, name)
    assert stages[second] == ["AWSCURRENT"] and stages[token] == ["AWSPREVIOUS"]
    os.unlink(provider.name)


def test_an_unmapped_lambda_leaves_the_steps_to_the_client(keyward, sm, name):
    sm.create_secret(Name=name, SecretString="old")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:not-mapped-here"
    rot = sm.rotate_secret(SecretId=name, RotationLambdaARN=arn)
    token = rot["VersionId"]
    assert _stages(sm, name)[token] == ["AWSPENDING"]
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=name, VersionId=token)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        sm.rotate_secret(SecretId=name)
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "previous rotation isn't complete" in e.value.response["Error"]["Message"]
    sm.cancel_rotate_secret(SecretId=name)
    assert "AWSPENDING" not in json.dumps(_stages(sm, name))
    assert sm.describe_secret(SecretId=name)["RotationEnabled"] is False
