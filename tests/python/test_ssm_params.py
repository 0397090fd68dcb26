"""PutParameter, GetParameter(s), DeleteParameter(s): happy paths and AWS's errors."""

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from test_ssm_support import arn, code, prefix, ssm  # noqa: F401


def test_put_get_string(ssm, prefix):
    name = f"{prefix}/plain"
    before = time.time()
    r = ssm.put_parameter(Name=name, Value="hello", Type="String", Description="d1")
    assert r["Version"] == 1
    assert r["Tier"] == "Standard"
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Name"] == name
    assert p["Type"] == "String"
    assert p["Value"] == "hello"
    assert p["Version"] == 1
    assert p["ARN"] == arn(name)
    assert p["DataType"] == "text"
    assert "Selector" not in p
    assert p["LastModifiedDate"].timestamp() >= before - 5


def test_string_list(ssm, prefix):
    name = f"{prefix}/list"
    ssm.put_parameter(Name=name, Value="a,b,c", Type="StringList")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Type"], p["Value"]) == ("StringList", "a,b,c")


def test_secure_string_needs_decryption(ssm, prefix):
    name = f"{prefix}/secure"
    ssm.put_parameter(Name=name, Value="s3cr3t", Type="SecureString")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Type"] == "SecureString"
    assert p["Value"] != "s3cr3t"
    assert b"s3cr3t" not in base64.b64decode(p["Value"])
    p = ssm.get_parameter(Name=name, WithDecryption=False)["Parameter"]
    assert p["Value"] != "s3cr3t"
    p = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert p["Value"] == "s3cr3t"
    # Plain strings ignore WithDecryption.
    ssm.put_parameter(Name=f"{prefix}/s", Value="v", Type="String")
    assert ssm.get_parameter(Name=f"{prefix}/s", WithDecryption=True)["Parameter"]["Value"] == "v"


def test_policies_are_kept(ssm, prefix):
    policy = '[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2099-01-01T00:00:00.000Z"}}]'
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/pol", Value="x", Type="String", Policies=policy)
    assert code(e) == "ValidationException"  # policies need the advanced tier
    r = ssm.put_parameter(
        Name=f"{prefix}/pol", Value="x", Type="String", Policies=policy,
        Tier="Intelligent-Tiering",
    )
    assert r["Tier"] == "Advanced"
    (d,) = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [f"{prefix}/pol"]}]
    )["Parameters"]
    assert [p["PolicyType"] for p in d["Policies"]] == ["Expiration"]


def test_secure_string_key_id(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/a", Value="x", Type="SecureString")
    ssm.put_parameter(Name=f"{prefix}/b", Value="x", Type="SecureString", KeyId="alias/mine")
    meta = {
        p["Name"]: p
        for p in ssm.describe_parameters(
            ParameterFilters=[{"Key": "Path", "Values": [prefix]}]
        )["Parameters"]
    }
    assert meta[f"{prefix}/a"]["KeyId"] == "alias/aws/ssm"
    assert meta[f"{prefix}/b"]["KeyId"] == "alias/mine"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/c", Value="x", Type="SecureString", KeyId="no good")
    # a space breaks the request model's pattern: rejected before any key lookup
    assert code(e) == "ValidationException"
    assert "^([a-zA-Z0-9:/_-]+)$" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/c", Value="x", Type="SecureString", KeyId="nogood")
    assert code(e) == "InvalidKeyId"


def test_overwrite_rules(ssm, prefix):
    name = f"{prefix}/ow"
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="first")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v2", Type="String")
    assert code(e) == "ParameterAlreadyExists"
    r = ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    assert r["Version"] == 2
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"], p["Type"]) == ("v2", 2, "String")
    # Description carries over when not given.
    d = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [name]}]
    )["Parameters"][0]
    assert d["Description"] == "first"
    assert d["Version"] == 2
    # Type can change on overwrite.
    ssm.put_parameter(Name=name, Value="v3", Type="SecureString", Overwrite=True)
    assert ssm.get_parameter(Name=name)["Parameter"]["Type"] == "SecureString"


def test_tags_and_overwrite_conflict(ssm, prefix):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(
            Name=f"{prefix}/t", Value="x", Type="String", Overwrite=True,
            Tags=[{"Key": "a", "Value": "b"}],
        )
    assert code(e) == "ValidationException"
    assert "tags and overwrite can't be used together" in str(e.value)


def test_type_required_and_validated(ssm, prefix):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/nt", Value="x")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/bt", Value="x", Type="Str")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/ev", Value="", Type="String")
    assert code(e) == "ValidationException"


def test_tiers_and_sizes(ssm, prefix):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/big", Value="x" * 4097, Type="String")
    assert code(e) == "ValidationException"
    r = ssm.put_parameter(Name=f"{prefix}/std", Value="x" * 4096, Type="String")
    assert r["Tier"] == "Standard"
    r = ssm.put_parameter(Name=f"{prefix}/adv", Value="x" * 8192, Type="String", Tier="Advanced")
    assert r["Tier"] == "Advanced"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/huge", Value="x" * 8193, Type="String", Tier="Advanced")
    assert code(e) == "ValidationException"
    r = ssm.put_parameter(
        Name=f"{prefix}/it", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering"
    )
    assert r["Tier"] == "Advanced"
    r = ssm.put_parameter(
        Name=f"{prefix}/it2", Value="small", Type="String", Tier="Intelligent-Tiering"
    )
    assert r["Tier"] == "Standard"
    # Advanced can't go back to Standard.
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(
            Name=f"{prefix}/adv", Value="y", Type="String", Tier="Standard", Overwrite=True
        )
    assert code(e) == "ValidationException"
    r = ssm.put_parameter(Name=f"{prefix}/adv", Value="y", Overwrite=True)
    assert r["Tier"] == "Advanced"


def test_allowed_pattern(ssm, prefix):
    name = f"{prefix}/num"
    ssm.put_parameter(Name=name, Value="123", Type="String", AllowedPattern=r"^\d+$")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="abc", Type="String", Overwrite=True)
    assert code(e) == "ParameterPatternMismatchException"
    assert "abc" not in str(e.value)
    ssm.put_parameter(Name=name, Value="456", Overwrite=True)
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/p2", Value="x", Type="String", AllowedPattern="(")
    assert code(e) == "InvalidAllowedPatternException"


def test_data_type(ssm, prefix):
    r = ssm.put_parameter(
        Name=f"{prefix}/ami", Value="ami-0123456789abcdef0", Type="String",
        DataType="aws:ec2:image",
    )
    assert r["Version"] == 1
    p = ssm.get_parameter(Name=f"{prefix}/ami")["Parameter"]
    assert p["DataType"] == "aws:ec2:image"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/ami2", Value="nope", Type="String", DataType="aws:ec2:image")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/dt", Value="x", Type="String", DataType="json")
    assert code(e) == "ValidationException"


@pytest.mark.parametrize(
    "name,expected",
    [
        ("/has space", "ValidationException"),
        ("a/b", "ValidationException"),
        ("/a//b", "ValidationException"),
        ("/ssm/x", "ValidationException"),
        ("awsthing", "ValidationException"),
        ("/aws/x/y", "AccessDeniedException"),
        ("/" + "/".join(["l"] * 16), "HierarchyLevelLimitExceededException"),
        ("/" + "n" * 1100, "ValidationException"),
        ("/bad*char", "ValidationException"),
    ],
)
def test_bad_names(ssm, name, expected):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="x", Type="String")
    assert code(e) == expected


def test_fifteen_levels_ok(ssm, prefix):
    name = "/" + "/".join(["l"] * 14) + prefix.replace("/kwtest/", "/k")
    assert name.count("/") == 15
    ssm.put_parameter(Name=name, Value="x", Type="String")


def test_unqualified_names_alias_root(ssm, prefix):
    leaf = "kw" + prefix.rsplit("/", 1)[1]
    ssm.put_parameter(Name=leaf, Value="x", Type="String")
    assert ssm.get_parameter(Name=leaf)["Parameter"]["Value"] == "x"
    assert ssm.get_parameter(Name=f"/{leaf}")["Parameter"]["Value"] == "x"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"/{leaf}", Value="y", Type="String")
    assert code(e) == "ParameterAlreadyExists"
    ssm.delete_parameter(Name=leaf)


def test_get_missing(ssm, prefix):
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{prefix}/missing")
    assert code(e) == "ParameterNotFound"


def test_selectors(ssm, prefix):
    name = f"{prefix}/sel"
    ssm.put_parameter(Name=name, Value="one", Type="String")
    ssm.put_parameter(Name=name, Value="two", Overwrite=True)
    ssm.put_parameter(Name=name, Value="three", Overwrite=True)
    p = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert (p["Value"], p["Version"], p["Selector"], p["Name"]) == ("one", 1, ":1", name)
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["stable"])
    p = ssm.get_parameter(Name=f"{name}:stable")["Parameter"]
    assert (p["Value"], p["Version"], p["Selector"]) == ("two", 2, ":stable")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{name}:9")
    assert code(e) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{name}:nolabel")
    assert code(e) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{name}:2:3")
    assert code(e) == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{prefix}/other:2")
    assert code(e) == "ParameterNotFound"
    assert str(e.value).endswith(f"Parameter {prefix}/other:2 not found.")
    r = ssm.get_parameters(Names=[f"{name}:1", f"{name}:stable", f"{name}:9", name])
    got = sorted((p["Value"], p.get("Selector")) for p in r["Parameters"])
    assert got == [("one", ":1"), ("three", None), ("two", ":stable")]
    assert r["InvalidParameters"] == [f"{name}:9"]


def test_get_by_arn(ssm, prefix):
    name = f"{prefix}/byarn"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    assert ssm.get_parameter(Name=arn(name))["Parameter"]["Value"] == "v"


def test_get_parameters(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/a", Value="A", Type="String")
    ssm.put_parameter(Name=f"{prefix}/b", Value="B", Type="SecureString")
    r = ssm.get_parameters(
        Names=[f"{prefix}/a", f"{prefix}/b", f"{prefix}/nope", f"{prefix}/a"],
        WithDecryption=True,
    )
    assert sorted(p["Value"] for p in r["Parameters"]) == ["A", "B"]
    assert r["InvalidParameters"] == [f"{prefix}/nope"]
    r = ssm.get_parameters(Names=[f"{prefix}/b"])
    assert r["Parameters"][0]["Value"] != "B"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters(Names=[f"{prefix}/{i}" for i in range(11)])
    assert code(e) == "ValidationException"


def test_delete_parameter(ssm, prefix):
    name = f"{prefix}/del"
    ssm.put_parameter(Name=name, Value="x", Type="String")
    ssm.delete_parameter(Name=name)
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=name)
    assert code(e) == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        ssm.delete_parameter(Name=name)
    assert code(e) == "ParameterNotFound"
    # The name is free again, and starts over at version 1.
    assert ssm.put_parameter(Name=name, Value="y", Type="String")["Version"] == 1


def test_delete_parameters(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/d1", Value="x", Type="String")
    ssm.put_parameter(Name=f"{prefix}/d2", Value="x", Type="String")
    r = ssm.delete_parameters(Names=[f"{prefix}/d1", f"{prefix}/d2", f"{prefix}/d3"])
    assert sorted(r["DeletedParameters"]) == [f"{prefix}/d1", f"{prefix}/d2"]
    assert r["InvalidParameters"] == [f"{prefix}/d3"]
    with pytest.raises(ClientError) as e:
        ssm.delete_parameters(Names=[f"{prefix}/{i}" for i in range(11)])
    assert code(e) == "ValidationException"


def test_regions_are_separate(prefix):
    from test_ssm_support import ssm_client

    east = ssm_client(region="us-east-1")
    west = ssm_client(region="us-west-2")
    name = f"{prefix}/regional"
    east.put_parameter(Name=name, Value="east", Type="String")
    with pytest.raises(ClientError) as e:
        west.get_parameter(Name=name)
    assert code(e) == "ParameterNotFound"
    west.put_parameter(Name=name, Value="west", Type="String")
    assert east.get_parameter(Name=name)["Parameter"]["Value"] == "east"
    assert west.get_parameter(Name=name)["Parameter"]["ARN"] == arn(name, "us-west-2")


def test_secretsmanager_reference(ssm, prefix):
    import boto3

    sm = boto3.client("secretsmanager")
    sname = "kw" + prefix.rsplit("/", 1)[1]
    sm.create_secret(Name=sname, SecretString="from-secrets-manager")
    ref = f"/aws/reference/secretsmanager/{sname}"
    p = ssm.get_parameter(Name=ref, WithDecryption=True)["Parameter"]
    assert p["Value"] == "from-secrets-manager"
    assert p["Type"] == "SecureString"
    assert p["Name"] == ref
    assert p["ARN"].startswith("arn:aws:secretsmanager:")
    source = json.loads(p["SourceResult"])
    described = sm.describe_secret(SecretId=sname)
    assert source["ARN"] == described["ARN"]
    assert source["Name"] == sname
    assert source["VersionIdsToStages"] == described["VersionIdsToStages"]
    sm.put_secret_value(SecretId=sname, SecretString="second")
    assert ssm.get_parameter(Name=ref, WithDecryption=True)["Parameter"]["Value"] == "second"
    p = ssm.get_parameter(Name=f"{ref}:AWSPREVIOUS", WithDecryption=True)["Parameter"]
    assert p["Value"] == "from-secrets-manager"
    assert p["Selector"] == ":AWSPREVIOUS"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=ref)
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/aws/reference/secretsmanager/kw-missing-secret", WithDecryption=True)
    assert code(e) == "ParameterNotFound"


def test_concurrent_overwrites_get_distinct_versions(ssm, prefix):
    """Writers racing on one parameter (its creation included) each get a version
    number of their own, consecutive, and no value is lost."""
    name = f"{prefix}/raced"
    writers, each = 8, 5

    def write(w):
        return [
            ssm.put_parameter(Name=name, Value=f"v{w}-{i}", Type="String", Overwrite=True)[
                "Version"
            ]
            for i in range(each)
        ]

    with ThreadPoolExecutor(writers) as pool:
        got = [v for vs in pool.map(write, range(writers)) for v in vs]
    total = writers * each
    assert sorted(got) == list(range(1, total + 1))
    history = ssm.get_parameter_history(Name=name, MaxResults=50)["Parameters"]
    assert sorted(h["Version"] for h in history) == list(range(1, total + 1))
    assert {h["Value"] for h in history} == {f"v{w}-{i}" for w in range(writers) for i in range(each)}
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == total
    (meta,) = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [name]}]
    )["Parameters"]
    assert meta["Version"] == total
