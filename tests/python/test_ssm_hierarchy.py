"""GetParametersByPath, DescribeParameters and GetParameterHistory."""

import pytest
from botocore.exceptions import ClientError

from test_ssm_support import code, prefix, ssm  # noqa: F401


@pytest.fixture
def tree(ssm, prefix):
    names = {
        f"{prefix}/app/db": ("String", "db"),
        f"{prefix}/app/key": ("SecureString", "k"),
        f"{prefix}/app/deep/one": ("String", "1"),
        f"{prefix}/app/deep/two": ("StringList", "a,b"),
        f"{prefix}/other": ("String", "o"),
    }
    for n, (t, v) in names.items():
        ssm.put_parameter(Name=n, Value=v, Type=t)
    return prefix


def names_of(params):
    return sorted(p["Name"] for p in params)


def test_by_path_one_level_and_recursive(ssm, tree):
    r = ssm.get_parameters_by_path(Path=f"{tree}/app")
    assert names_of(r["Parameters"]) == [f"{tree}/app/db", f"{tree}/app/key"]
    r = ssm.get_parameters_by_path(Path=f"{tree}/app/", Recursive=True)
    assert names_of(r["Parameters"]) == [
        f"{tree}/app/db", f"{tree}/app/deep/one", f"{tree}/app/deep/two", f"{tree}/app/key",
    ]
    assert ssm.get_parameters_by_path(Path=f"{tree}/ap")["Parameters"] == []


def test_by_path_decryption(ssm, tree):
    got = {p["Name"]: p["Value"] for p in ssm.get_parameters_by_path(Path=f"{tree}/app")["Parameters"]}
    assert got[f"{tree}/app/key"] != "k"
    got = {
        p["Name"]: p["Value"]
        for p in ssm.get_parameters_by_path(Path=f"{tree}/app", WithDecryption=True)["Parameters"]
    }
    assert got[f"{tree}/app/key"] == "k"


def test_by_path_pagination(ssm, tree):
    seen = []
    kwargs = {"Path": tree, "Recursive": True, "MaxResults": 2}
    while True:
        r = ssm.get_parameters_by_path(**kwargs)
        assert len(r["Parameters"]) <= 2
        seen += [p["Name"] for p in r["Parameters"]]
        if "NextToken" not in r:
            break
        kwargs["NextToken"] = r["NextToken"]
    assert len(seen) == 5 and len(set(seen)) == 5
    assert seen == sorted(seen)
    pages = ssm.get_paginator("get_parameters_by_path").paginate(
        Path=tree, Recursive=True, PaginationConfig={"PageSize": 3}
    )
    assert sum(len(p["Parameters"]) for p in pages) == 5
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path=tree, MaxResults=11)
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path=tree, NextToken="bogus")
    assert code(e) == "InvalidNextToken"


def test_by_path_filters(ssm, tree):
    r = ssm.get_parameters_by_path(
        Path=tree, Recursive=True,
        ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}],
    )
    assert names_of(r["Parameters"]) == [f"{tree}/app/key"]
    r = ssm.get_parameters_by_path(
        Path=tree, Recursive=True,
        ParameterFilters=[{"Key": "KeyId", "Values": ["alias/aws/ssm"]}],
    )
    assert names_of(r["Parameters"]) == [f"{tree}/app/key"]
    ssm.put_parameter(Name=f"{tree}/app/db", Value="db2", Overwrite=True)
    ssm.label_parameter_version(Name=f"{tree}/app/db", ParameterVersion=1, Labels=["orig"])
    r = ssm.get_parameters_by_path(
        Path=tree, Recursive=True,
        ParameterFilters=[{"Key": "Label", "Values": ["orig"], "Option": "Equals"}],
    )
    assert [(p["Name"], p["Value"], p["Version"]) for p in r["Parameters"]] == [
        (f"{tree}/app/db", "db", 1)
    ]
    for bad_key in ["Name", "Path", "Tier", "tag:env"]:
        with pytest.raises(ClientError) as e:
            ssm.get_parameters_by_path(
                Path=tree, ParameterFilters=[{"Key": bad_key, "Values": ["x"]}]
            )
        assert code(e) == "InvalidFilterKey", bad_key


def test_by_path_bad_path(ssm):
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path="no-slash")
    assert code(e) == "ValidationException"


def test_describe_filters(ssm, tree):
    def describe(**kw):
        out = []
        for page in ssm.get_paginator("describe_parameters").paginate(**kw):
            out += page["Parameters"]
        return names_of(out)

    assert describe(ParameterFilters=[{"Key": "Path", "Values": [f"{tree}/app"]}]) == [
        f"{tree}/app/db", f"{tree}/app/key",
    ]
    assert len(describe(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [tree]}])) == 5
    assert describe(
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{tree}/app/deep"]}]
    ) == [f"{tree}/app/deep/one", f"{tree}/app/deep/two"]
    assert describe(ParameterFilters=[{"Key": "Name", "Values": [f"{tree}/other"]}]) == [f"{tree}/other"]
    assert describe(
        ParameterFilters=[
            {"Key": "Name", "Option": "Contains", "Values": [tree.rsplit("/", 1)[1] + "/app/de"]}
        ]
    ) == [f"{tree}/app/deep/one", f"{tree}/app/deep/two"]
    assert describe(
        ParameterFilters=[
            {"Key": "Path", "Option": "Recursive", "Values": [tree]},
            {"Key": "Type", "Values": ["StringList"]},
        ]
    ) == [f"{tree}/app/deep/two"]
    assert describe(
        ParameterFilters=[
            {"Key": "Path", "Option": "Recursive", "Values": [tree]},
            {"Key": "Tier", "Values": ["Standard"]},
            {"Key": "DataType", "Values": ["text"]},
            {"Key": "KeyId", "Values": ["alias/aws/ssm"]},
        ]
    ) == [f"{tree}/app/key"]
    assert describe(Filters=[{"Key": "Name", "Values": [f"{tree}/app/d"]}]) == [
        f"{tree}/app/db", f"{tree}/app/deep/one", f"{tree}/app/deep/two",
    ]


def test_describe_shape_has_no_values(ssm, tree):
    r = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{tree}/app/key"]}])
    (p,) = r["Parameters"]
    assert "Value" not in p
    assert p["Type"] == "SecureString"
    assert p["KeyId"] == "alias/aws/ssm"
    assert p["Version"] == 1
    assert p["Tier"] == "Standard"
    assert p["DataType"] == "text"
    assert p["ARN"].endswith(f"parameter{tree}/app/key")
    assert p["LastModifiedUser"].startswith("arn:aws:iam::")


def test_describe_tag_filter(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/t1", Value="x", Type="String", Tags=[{"Key": "team", "Value": "blue"}])
    ssm.put_parameter(Name=f"{prefix}/t2", Value="x", Type="String", Tags=[{"Key": "team", "Value": "red"}])
    ssm.put_parameter(Name=f"{prefix}/t3", Value="x", Type="String")
    base = {"Key": "Path", "Values": [prefix]}
    r = ssm.describe_parameters(ParameterFilters=[base, {"Key": "tag:team", "Values": ["blue"]}])
    assert names_of(r["Parameters"]) == [f"{prefix}/t1"]
    r = ssm.describe_parameters(ParameterFilters=[base, {"Key": "tag:team"}])
    assert names_of(r["Parameters"]) == [f"{prefix}/t1", f"{prefix}/t2"]


def test_describe_errors(ssm):
    cases = [
        ({"ParameterFilters": [{"Key": "Label", "Values": ["x"]}]}, "InvalidFilterKey"),
        ({"ParameterFilters": [{"Key": "Bogus", "Values": ["x"]}]}, "ValidationException"),
        ({"ParameterFilters": [{"Key": "Type", "Values": ["Nope"]}]}, "InvalidFilterValue"),
        ({"ParameterFilters": [{"Key": "Type", "Option": "Contains", "Values": ["String"]}]}, "InvalidFilterOption"),
        ({"ParameterFilters": [{"Key": "Name"}]}, "InvalidFilterValue"),
        (
            {
                "Filters": [{"Key": "Name", "Values": ["/a"]}],
                "ParameterFilters": [{"Key": "Name", "Values": ["/a"]}],
            },
            "ValidationException",
        ),
        ({"MaxResults": 51}, "ValidationException"),
        ({"NextToken": "garbage"}, "InvalidNextToken"),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as e:
            ssm.describe_parameters(**kwargs)
        assert code(e) == expected, kwargs


def test_describe_pagination(ssm, prefix):
    for i in range(12):
        ssm.put_parameter(Name=f"{prefix}/p{i:02}", Value="x", Type="String")
    f = [{"Key": "Path", "Values": [prefix]}]
    r = ssm.describe_parameters(ParameterFilters=f)
    assert len(r["Parameters"]) == 10 and "NextToken" in r
    r2 = ssm.describe_parameters(ParameterFilters=f, NextToken=r["NextToken"])
    assert len(r2["Parameters"]) == 2 and "NextToken" not in r2
    r = ssm.describe_parameters(ParameterFilters=f, MaxResults=50)
    assert len(r["Parameters"]) == 12


def test_history(ssm, prefix):
    name = f"{prefix}/hist"
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="one")
    ssm.put_parameter(Name=name, Value="v2", Type="SecureString", Overwrite=True, Description="two")
    ssm.put_parameter(Name=name, Value="v3", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["beta"])
    h = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [p["Version"] for p in h] == [1, 2, 3]
    assert [p["Type"] for p in h] == ["String", "SecureString", "SecureString"]
    assert [p.get("Description") for p in h] == ["one", "two", "two"]
    assert h[0]["Value"] == "v1"
    assert h[1]["Value"] != "v2"
    assert h[1]["Labels"] == ["beta"]
    assert h[0]["Labels"] == []
    assert h[1]["KeyId"] == "alias/aws/ssm"
    assert h[0]["LastModifiedUser"].startswith("arn:aws:iam::")
    h = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [p["Value"] for p in h] == ["v1", "v2", "v3"]
    r = ssm.get_parameter_history(Name=name, MaxResults=2)
    assert [p["Version"] for p in r["Parameters"]] == [1, 2]
    r = ssm.get_parameter_history(Name=name, MaxResults=2, NextToken=r["NextToken"])
    assert [p["Version"] for p in r["Parameters"]] == [3]
    assert "NextToken" not in r
    with pytest.raises(ClientError) as e:
        ssm.get_parameter_history(Name=f"{prefix}/missing")
    assert code(e) == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter_history(Name=name, MaxResults=51)
    assert code(e) == "ValidationException"


def test_version_limit(ssm, prefix):
    name = f"{prefix}/many"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    for i in range(2, 101):
        ssm.put_parameter(Name=name, Value=f"v{i}", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["first"])
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v101", Overwrite=True)
    assert code(e) == "ParameterMaxVersionLimitExceeded"
    ssm.unlabel_parameter_version(Name=name, ParameterVersion=1, Labels=["first"])
    assert ssm.put_parameter(Name=name, Value="v101", Overwrite=True)["Version"] == 101
    versions = [p["Version"] for p in ssm.get_paginator("get_parameter_history").paginate(Name=name).build_full_result()["Parameters"]]
    assert len(versions) == 100 and versions[0] == 2 and versions[-1] == 101
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{name}:1")
    assert code(e) == "ParameterVersionNotFound"
