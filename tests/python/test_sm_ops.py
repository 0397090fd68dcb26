"""Secrets Manager operations through boto3: rotation by a client, batch reads,
pagination, policies, passwords."""

import json
import string
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT


def test_client_driven_rotation(keyward, sm, name):
    first = sm.create_secret(Name=name, SecretString="old")["VersionId"]
    token = str(uuid.uuid4())
    rot = sm.rotate_secret(SecretId=name, ClientRequestToken=token, RotateImmediately=False,
                           RotationRules={"AutomaticallyAfterDays": 30})
    assert rot["VersionId"] == token
    # What a rotation function does: createSecret, then finishSecret.
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=name, VersionId=token, VersionStage="AWSPENDING")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    new = sm.get_random_password(ExcludeCharacters="/@\"'\\")["RandomPassword"]
    sm.put_secret_value(SecretId=name, ClientRequestToken=token, SecretString=new,
                        VersionStages=["AWSPENDING"])
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT",
                                   MoveToVersionId=token, RemoveFromVersionId=first)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == new
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "old"
    d = sm.describe_secret(SecretId=name)
    assert d["RotationEnabled"] is True
    assert d["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert "LastRotatedDate" in d and "NextRotationDate" in d
    # The next rotation starts cleanly.
    again = sm.rotate_secret(SecretId=name)
    assert again["VersionId"] != token
    versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"] for v in versions} >= {first, token}


def test_batch_get_and_pagination(keyward, sm):
    prefix = f"batch-{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}/s{i}" for i in range(5)]
    for i, n in enumerate(names):
        sm.create_secret(Name=n, SecretString=f"value-{i}")
    got = sm.batch_get_secret_value(SecretIdList=names[:2] + [f"{prefix}/missing"])
    assert sorted(v["SecretString"] for v in got["SecretValues"]) == ["value-0", "value-1"]
    assert [e["ErrorCode"] for e in got["Errors"]] == ["ResourceNotFoundException"]
    seen, token = [], None
    while True:
        kw = {"Filters": [{"Key": "name", "Values": [prefix]}], "MaxResults": 2}
        if token:
            kw["NextToken"] = token
        page = sm.list_secrets(**kw)
        seen += [s["Name"] for s in page["SecretList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    desc = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}], SortOrder="desc")
    assert [s["Name"] for s in desc["SecretList"]] == names[::-1]
    # Each secret read by the batch has its own audit record.
    reads = [r for r in keyward.audit() if r["action"] == "secretsmanager:GetSecretValue"
             and prefix in (r.get("resource") or "")]
    assert len(reads) >= 3


def test_resource_policy_roundtrip_and_validation(sm, name):
    arn = sm.create_secret(Name=name, SecretString="v")["ARN"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/someone"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    assert sm.validate_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(policy))["PolicyValidationPassed"]
    public = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*"}]}
    assert not sm.validate_resource_policy(ResourcePolicy=json.dumps(public))["PolicyValidationPassed"]
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(policy))
    assert json.loads(sm.get_resource_policy(SecretId=arn)["ResourcePolicy"]) == policy
    sm.delete_resource_policy(SecretId=arn)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=arn)
    with pytest.raises(ClientError) as e:
        sm.put_resource_policy(SecretId=arn, ResourcePolicy="not json")
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"


def test_random_password(sm):
    pw = sm.get_random_password(PasswordLength=40, ExcludePunctuation=True)["RandomPassword"]
    assert len(pw) == 40 and not any(c in string.punctuation for c in pw)
    with pytest.raises(ClientError):
        sm.get_random_password(PasswordLength=3)


def test_tags_and_regions(sm, name):
    sm.create_secret(Name=name, SecretString="v", Tags=[{"Key": "env", "Value": "prod"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "core"}])
    sm.untag_resource(SecretId=name, TagKeys=["env"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "team", "Value": "core"}]
    found = sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["core"]},
                                     {"Key": "name", "Values": [name]}])["SecretList"]
    assert [s["Name"] for s in found] == [name]
