"""LabelParameterVersion / UnlabelParameterVersion and parameter tags."""

import pytest
from botocore.exceptions import ClientError

from test_ssm_support import arn, code, prefix, ssm  # noqa: F401


@pytest.fixture
def versioned(ssm, prefix):
    name = f"{prefix}/lbl"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    ssm.put_parameter(Name=name, Value="v3", Overwrite=True)
    return name


def labels_by_version(ssm, name):
    return {p["Version"]: p["Labels"] for p in ssm.get_parameter_history(Name=name)["Parameters"]}


def test_label_latest_by_default(ssm, versioned):
    r = ssm.label_parameter_version(Name=versioned, Labels=["prod"])
    assert r["ParameterVersion"] == 3
    assert r["InvalidLabels"] == []
    assert labels_by_version(ssm, versioned)[3] == ["prod"]


def test_label_moves_between_versions(ssm, versioned):
    ssm.label_parameter_version(Name=versioned, ParameterVersion=1, Labels=["prod"])
    ssm.label_parameter_version(Name=versioned, ParameterVersion=2, Labels=["prod"])
    got = labels_by_version(ssm, versioned)
    assert got[1] == [] and got[2] == ["prod"]
    assert ssm.get_parameter(Name=f"{versioned}:prod")["Parameter"]["Value"] == "v2"


def test_invalid_labels_are_reported(ssm, versioned):
    r = ssm.label_parameter_version(
        Name=versioned, ParameterVersion=1,
        Labels=["ok-label", "1starts-with-digit", "awsreserved", "SSMx", "has space", "a/b"],
    )
    assert sorted(r["InvalidLabels"]) == sorted(
        ["1starts-with-digit", "awsreserved", "SSMx", "has space", "a/b"]
    )
    assert labels_by_version(ssm, versioned)[1] == ["ok-label"]
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=versioned, Labels=["x" * 101])
    assert code(e) == "ValidationException"


def test_label_limit(ssm, versioned):
    ssm.label_parameter_version(Name=versioned, ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=versioned, ParameterVersion=1, Labels=["eleventh"])
    assert code(e) == "ParameterVersionLabelLimitExceeded"
    # Re-attaching labels it already has is fine.
    ssm.label_parameter_version(Name=versioned, ParameterVersion=1, Labels=["l0", "l1"])
    # Eleven labels at once don't fit on a version either.
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=versioned, Labels=[f"m{i}" for i in range(11)])
    assert code(e) == "ParameterVersionLabelLimitExceeded"


def test_label_errors(ssm, versioned, prefix):
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=f"{prefix}/missing", Labels=["x"])
    assert code(e) == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=versioned, ParameterVersion=9, Labels=["x"])
    assert code(e) == "ParameterVersionNotFound"


def test_unlabel(ssm, versioned):
    ssm.label_parameter_version(Name=versioned, ParameterVersion=2, Labels=["a", "b"])
    r = ssm.unlabel_parameter_version(Name=versioned, ParameterVersion=2, Labels=["a", "zzz"])
    assert r["RemovedLabels"] == ["a"]
    assert r["InvalidLabels"] == ["zzz"]
    assert labels_by_version(ssm, versioned)[2] == ["b"]
    # A label on another version is not removed from it.
    r = ssm.unlabel_parameter_version(Name=versioned, ParameterVersion=1, Labels=["b"])
    assert r["RemovedLabels"] == [] and r["InvalidLabels"] == ["b"]
    with pytest.raises(ClientError) as e:
        ssm.unlabel_parameter_version(Name=versioned, ParameterVersion=9, Labels=["b"])
    assert code(e) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{versioned}:a")
    assert code(e) == "ParameterVersionNotFound"


def tags_of(ssm, name):
    r = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)
    return {t["Key"]: t["Value"] for t in r["TagList"]}


def test_tags_lifecycle(ssm, prefix):
    name = f"{prefix}/tagged"
    ssm.put_parameter(Name=name, Value="x", Type="String", Tags=[{"Key": "env", "Value": "prod"}])
    assert tags_of(ssm, name) == {"env": "prod"}
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId=name,
        Tags=[{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "staging"}],
    )
    assert tags_of(ssm, name) == {"env": "staging", "team": "core"}
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["env", "nope"])
    assert tags_of(ssm, name) == {"team": "core"}
    # Overwriting the value keeps the tags.
    ssm.put_parameter(Name=name, Value="y", Overwrite=True)
    assert tags_of(ssm, name) == {"team": "core"}
    assert tags_of(ssm, arn(name)) == {"team": "core"}


def test_tag_errors(ssm, prefix):
    name = f"{prefix}/tagerr"
    ssm.put_parameter(Name=name, Value="x", Type="String")
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{prefix}/missing")
    assert code(e) == "InvalidResourceId"
    with pytest.raises(ClientError) as e:
        ssm.add_tags_to_resource(
            ResourceType="Parameter", ResourceId=name,
            Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)],
        )
    assert code(e) == "TooManyTagsError"
    with pytest.raises(ClientError) as e:
        ssm.add_tags_to_resource(
            ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "aws:x", "Value": "v"}]
        )
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Bogus", ResourceId=name)
    assert code(e) == "InvalidResourceType"
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)
    assert code(e) == "InvalidResourceId"
    assert tags_of(ssm, name) == {}
