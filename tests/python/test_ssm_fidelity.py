"""Parameter Store details that SDK paginators and real scripts depend on, checked
against botocore's service model: pagination (boto3 paginators and the awscli's
auto-pagination), SecureString KeyId and LastModifiedUser, AWS's name and path
errors, DataType and AllowedPattern, and the /aws/reference/secretsmanager shape."""

import json
import os
import subprocess
import sys
import shutil
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from test_ssm_support import ACCOUNT, REGION, code, keyward, make_principal, prefix, ssm, ssm_client  # noqa: F401

PATH_RULES = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin "
    'with a forward slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It '
    "must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ "
    "(underscore). Special characters are not allowed. All sub-paths, if specified, must use the "
    'forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.'
)
NAME_RULES = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can '
    "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, "
    "numbers and the following 3 symbols .-_"
)
HIERARCHY = (
    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and "
    "constraints for parameter names in the AWS Systems Manager User Guide."
)


def shape(operation, output_member):
    """The members botocore's service model allows in a list entry of an output."""
    model = boto3.session.Session().client("ssm", region_name=REGION).meta.service_model
    out = model.operation_model(operation).output_shape.members[output_member]
    entry = getattr(out, "member", out)
    return set(entry.members)


def aws_cli(*args):
    here = os.path.join(os.path.dirname(sys.executable), "aws")
    exe = here if os.path.exists(here) else shutil.which("aws")
    if not exe:
        pytest.fail("awscli is not installed in the test venv (tests/python/requirements.txt)")
    out = subprocess.run([exe, *args, "--output", "json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def message(e):
    return e.value.response["Error"]["Message"]


# ---- pagination ------------------------------------------------------------------


@pytest.fixture
def mixed(ssm, prefix):
    """23 parameters under one path; every third is a SecureString."""
    names = []
    for i in range(23):
        kw = {"Type": "SecureString"} if i % 3 == 0 else {"Type": "String"}
        name = f"{prefix}/p{i:02}"
        ssm.put_parameter(Name=name, Value=f"v{i}", **kw)
        names.append(name)
    return names


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 10, 23, 50])
def test_describe_paginator_returns_each_once(ssm, prefix, mixed, page_size):
    seen = []
    pages = 0
    for page in ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Path", "Values": [prefix]}],
        PaginationConfig={"PageSize": page_size},
    ):
        pages += 1
        assert len(page["Parameters"]) <= page_size
        seen += [p["Name"] for p in page["Parameters"]]
    assert sorted(seen) == sorted(mixed)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("page_size", [1, 2, 4, 5, 10])
def test_describe_paginator_when_filters_drop_items(ssm, prefix, mixed, page_size):
    # Type drops two thirds of what the Path matches: pages may come back short
    # or even empty with a NextToken, but nothing is lost or repeated.
    want = sorted(n for i, n in enumerate(mixed) if i % 3 == 0)
    seen = []
    for page in ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[
            {"Key": "Path", "Values": [prefix]},
            {"Key": "Type", "Values": ["SecureString"]},
        ],
        PaginationConfig={"PageSize": page_size},
    ):
        assert len(page["Parameters"]) <= page_size
        seen += [p["Name"] for p in page["Parameters"]]
    assert seen == want


def test_describe_full_page_carries_a_token(ssm, prefix):
    for i in range(4):
        ssm.put_parameter(Name=f"{prefix}/f{i}", Value="x", Type="String")
    f = [{"Key": "Path", "Values": [prefix]}]
    r = ssm.describe_parameters(ParameterFilters=f, MaxResults=2)
    assert len(r["Parameters"]) == 2 and r["NextToken"]
    r = ssm.describe_parameters(ParameterFilters=f, MaxResults=2, NextToken=r["NextToken"])
    assert len(r["Parameters"]) == 2 and r["NextToken"]
    r = ssm.describe_parameters(ParameterFilters=f, MaxResults=2, NextToken=r["NextToken"])
    assert r["Parameters"] == [] and "NextToken" not in r


def test_describe_bad_token(ssm):
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(NextToken="not-a-token")
    assert code(e) == "InvalidNextToken"


@pytest.mark.parametrize("page_size", [1, 3, 10])
def test_by_path_paginator_returns_each_once(ssm, prefix, mixed, page_size):
    for extra in ("deep/a", "deep/b/c"):
        ssm.put_parameter(Name=f"{prefix}/{extra}", Value="x", Type="String")
    for recursive, want in (
        (False, sorted(mixed)),
        (True, sorted(mixed + [f"{prefix}/deep/a", f"{prefix}/deep/b/c"])),
    ):
        seen = []
        for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=prefix, Recursive=recursive, PaginationConfig={"PageSize": page_size}
        ):
            assert len(page["Parameters"]) <= page_size
            seen += [p["Name"] for p in page["Parameters"]]
        assert sorted(seen) == want and len(seen) == len(set(seen))


def test_by_path_paginator_with_a_filter(ssm, prefix, mixed):
    seen = []
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=prefix,
        ParameterFilters=[{"Key": "Type", "Values": ["String"]}],
        PaginationConfig={"PageSize": 4},
    ):
        assert len(page["Parameters"]) <= 4
        seen += [p["Name"] for p in page["Parameters"]]
    assert seen == sorted(n for i, n in enumerate(mixed) if i % 3 != 0)


def test_history_paginator_returns_each_version_once(ssm, prefix):
    name = f"{prefix}/h"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    for i in range(2, 18):
        ssm.put_parameter(Name=name, Value=f"v{i}", Overwrite=True)
    for size in (1, 5, 17, 50):
        versions = []
        for page in ssm.get_paginator("get_parameter_history").paginate(
            Name=name, PaginationConfig={"PageSize": size}
        ):
            assert len(page["Parameters"]) <= size
            versions += [p["Version"] for p in page["Parameters"]]
        assert versions == list(range(1, 18))


def test_awscli_paginates_everything_once(prefix, mixed):
    # The awscli follows NextToken on its own (page size forced small).
    out = aws_cli(
        "ssm", "describe-parameters", "--page-size", "4",
        "--parameter-filters", f"Key=Path,Values={prefix}",
    )
    names = [p["Name"] for p in out["Parameters"]]
    assert sorted(names) == sorted(mixed) and len(names) == len(set(names))
    out = aws_cli("ssm", "get-parameters-by-path", "--path", prefix, "--page-size", "3")
    names = [p["Name"] for p in out["Parameters"]]
    assert sorted(names) == sorted(mixed) and len(names) == len(set(names))
    out = aws_cli(
        "ssm", "describe-parameters", "--page-size", "2",
        "--parameter-filters", f"Key=Path,Values={prefix}", "Key=Type,Values=SecureString",
    )
    assert sorted(p["Name"] for p in out["Parameters"]) == sorted(
        n for i, n in enumerate(mixed) if i % 3 == 0
    )


# ---- KeyId and LastModifiedUser --------------------------------------------------

KEY_FORMS = [
    "1234abcd-12ab-34cd-56ef-1234567890ab",
    f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "alias/my-app-key",
    f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/my-app-key",
]


@pytest.mark.parametrize("key_id", KEY_FORMS)
def test_key_id_forms_are_stored_and_returned(ssm, prefix, key_id):
    name = f"{prefix}/k"
    ssm.put_parameter(Name=name, Value="s3cr3t", Type="SecureString", KeyId=key_id)
    (meta,) = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])[
        "Parameters"
    ]
    assert meta["KeyId"] == key_id
    (h,) = ssm.get_parameter_history(Name=name)["Parameters"]
    assert h["KeyId"] == key_id
    # an overwrite that names no key keeps the parameter's key
    ssm.put_parameter(Name=name, Value="n3w", Overwrite=True)
    hist = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [p["KeyId"] for p in hist] == [key_id, key_id]
    assert [p["Value"] for p in hist] == ["s3cr3t", "n3w"]
    (meta,) = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])[
        "Parameters"
    ]
    assert meta["KeyId"] == key_id and meta["Version"] == 2
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "n3w"


def test_default_key_and_filters_by_key(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/d", Value="x", Type="SecureString")
    ssm.put_parameter(Name=f"{prefix}/c", Value="x", Type="SecureString", KeyId="alias/custom")
    ssm.put_parameter(Name=f"{prefix}/s", Value="x", Type="String")
    base = [{"Key": "Path", "Values": [prefix]}]

    def names(extra):
        r = ssm.describe_parameters(ParameterFilters=base + extra)["Parameters"]
        return sorted(p["Name"] for p in r)

    assert names([{"Key": "KeyId", "Values": ["alias/aws/ssm"]}]) == [f"{prefix}/d"]
    assert names([{"Key": "KeyId", "Values": ["alias/custom"]}]) == [f"{prefix}/c"]
    assert names([{"Key": "KeyId", "Option": "BeginsWith", "Values": ["alias/"]}]) == [
        f"{prefix}/c",
        f"{prefix}/d",
    ]
    assert "KeyId" not in ssm.get_parameter_history(Name=f"{prefix}/s")["Parameters"][0]


def test_changing_the_key_on_overwrite(ssm, prefix):
    name = f"{prefix}/rk"
    ssm.put_parameter(Name=name, Value="a", Type="SecureString")
    ssm.put_parameter(Name=name, Value="b", Overwrite=True, KeyId="alias/rotated")
    hist = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [p["KeyId"] for p in hist] == ["alias/aws/ssm", "alias/rotated"]


@pytest.mark.parametrize(
    "key_id,error",
    [
        ("not a key", "ValidationException"),
        ("x" * 257, "ValidationException"),
        ("nokey", "InvalidKeyId"),
        ("alias/", "InvalidKeyId"),
        ("arn:aws:kms:us-east-1:123:key/nope", "InvalidKeyId"),
    ],
)
def test_bad_key_ids(ssm, prefix, key_id, error):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/bad", Value="x", Type="SecureString", KeyId=key_id)
    assert code(e) == error
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{prefix}/bad")
    assert code(e) == "ParameterNotFound"


def test_last_modified_user_is_the_callers_arn(ssm, prefix):
    name = f"{prefix}/who"
    who = f"writer-{uuid.uuid4().hex[:8]}"
    key, secret = make_principal(
        who,
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["ssm:PutParameter"], "Resource": "*"}
            ],
        },
    )
    ssm.put_parameter(Name=name, Value="by admin", Type="SecureString")
    ssm_client(key, secret).put_parameter(Name=name, Value="by writer", Overwrite=True)
    writer_arn = f"arn:aws:iam::{ACCOUNT}:user/{who}"
    hist = ssm.get_parameter_history(Name=name)["Parameters"]
    assert hist[0]["LastModifiedUser"].startswith(f"arn:aws:iam::{ACCOUNT}:")
    assert hist[0]["LastModifiedUser"] != writer_arn
    assert hist[1]["LastModifiedUser"] == writer_arn
    (meta,) = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])[
        "Parameters"
    ]
    assert meta["LastModifiedUser"] == writer_arn


def test_shapes_match_the_service_model(ssm, prefix):
    name = f"{prefix}/shape"
    ssm.put_parameter(
        Name=name, Value="x", Type="SecureString", Description="d", AllowedPattern=".*"
    )
    raw = {}

    def keep(http_response, model, **kw):
        # What keyward sent, before botocore drops members it does not know.
        raw[model.name] = json.loads(http_response.content)

    ssm.meta.events.register("after-call.ssm", keep)
    ssm.get_parameter(Name=name)
    ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
    ssm.get_parameter_history(Name=name)
    assert set(raw["GetParameter"]["Parameter"]) <= shape("GetParameter", "Parameter")
    (m,) = raw["DescribeParameters"]["Parameters"]
    assert set(m) <= shape("DescribeParameters", "Parameters")
    assert {"KeyId", "LastModifiedUser", "Description", "AllowedPattern", "Tier", "DataType"} <= set(m)
    (h,) = raw["GetParameterHistory"]["Parameters"]
    assert set(h) <= shape("GetParameterHistory", "Parameters")
    assert {"KeyId", "LastModifiedUser", "Labels"} <= set(h)


# ---- names and paths -------------------------------------------------------------


@pytest.mark.parametrize(
    "name,error,text",
    [
        ("/a b", "ValidationException", NAME_RULES),
        ("/a//b", "ValidationException", NAME_RULES),
        ("/a/b/", "ValidationException", NAME_RULES),
        ("/ssm/x", "ValidationException", NAME_RULES),
        ("a/b", "ValidationException", "Parameter name must be a fully qualified name."),
        ("awsome", "ValidationException",
         'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'),
        ("SSMthing", "ValidationException",
         'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'),
        ("/" + "/".join(["l"] * 16), "HierarchyLevelLimitExceededException", HIERARCHY),
    ],
)
def test_put_parameter_name_errors(ssm, name, error, text):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="x", Type="String")
    assert code(e) == error
    assert message(e) == text


def test_reserved_aws_path_is_denied(ssm):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/aws/mine/x", Value="x", Type="String")
    assert code(e) == "AccessDeniedException"
    assert message(e) == "No access to reserved parameter name: /aws/mine/x."


def test_fifteen_levels_are_allowed(ssm, prefix):
    depth = prefix.count("/")
    name = prefix + "".join(f"/l{i}" for i in range(15 - depth))
    assert name.count("/") == 15
    ssm.put_parameter(Name=name, Value="deep", Type="String")
    parent = name.rsplit("/", 1)[0]
    assert [p["Name"] for p in ssm.get_parameters_by_path(Path=parent)["Parameters"]] == [name]


@pytest.mark.parametrize("path", ["no-slash", "//", "/a//b", "/a b", "/a/#"])
def test_path_errors(ssm, path):
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path=path)
    assert code(e) == "ValidationException"
    assert message(e) == PATH_RULES
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": [path]}])
    assert code(e) == "ValidationException"
    assert message(e) == PATH_RULES


def test_path_too_deep(ssm):
    deep = "/" + "/".join(["l"] * 16)
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path=deep)
    assert code(e) == "HierarchyLevelLimitExceededException"
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": [deep]}])
    assert code(e) == "HierarchyLevelLimitExceededException"


@pytest.mark.parametrize("path", ["/aws", "/AWS/x", "/ssm/y"])
def test_path_filter_reserved_prefix(ssm, path):
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": [path]}])
    assert code(e) == "ValidationException"
    assert message(e).startswith(
        'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive).'
    )


@pytest.mark.parametrize(
    "option,value,error,text",
    [
        ("Equals", "/a b", "ValidationException", NAME_RULES),
        ("Equals", "/a//b", "ValidationException", NAME_RULES),
        ("Equals", "a/b", "ValidationException", "Parameter name must be a fully qualified name."),
        ("Equals", "/" + "/".join(["l"] * 16), "HierarchyLevelLimitExceededException", HIERARCHY),
        ("BeginsWith", "/a#", "ValidationException", NAME_RULES),
        ("Contains", "a b", "ValidationException", NAME_RULES),
    ],
)
def test_name_filter_errors(ssm, option, value, error, text):
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Option": option, "Values": [value]}]
        )
    assert code(e) == error
    assert message(e) == text


def test_name_filter_accepts_names_with_and_without_slash(ssm, prefix):
    name = f"{prefix}/nf"
    ssm.put_parameter(Name=name, Value="x", Type="String")
    for option, value in (("Equals", name), ("BeginsWith", prefix.lstrip("/")), ("Contains", "nf")):
        r = ssm.describe_parameters(
            ParameterFilters=[
                {"Key": "Path", "Option": "Recursive", "Values": [prefix]},
                {"Key": "Name", "Option": option, "Values": [value]},
            ]
        )
        assert [p["Name"] for p in r["Parameters"]] == [name], option


# ---- DataType and AllowedPattern -------------------------------------------------


def test_data_types(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/t", Value="anything", Type="String")
    assert ssm.get_parameter(Name=f"{prefix}/t")["Parameter"]["DataType"] == "text"
    for ami in ("ami-12345678", "ami-0123456789abcdef0"):
        ssm.put_parameter(
            Name=f"{prefix}/ami", Value=ami, Type="String", DataType="aws:ec2:image", Overwrite=True
        )
        p = ssm.get_parameter(Name=f"{prefix}/ami")["Parameter"]
        assert (p["Value"], p["DataType"]) == (ami, "aws:ec2:image")
    (m,) = ssm.describe_parameters(
        ParameterFilters=[
            {"Key": "Path", "Values": [prefix]},
            {"Key": "DataType", "Values": ["aws:ec2:image"]},
        ]
    )["Parameters"]
    assert m["Name"] == f"{prefix}/ami"
    # the data type carries over an overwrite that names none
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/ami", Value="not-an-ami", Overwrite=True)
    assert code(e) == "ValidationException"
    assert "aws:ec2:image" in message(e)
    assert ssm.get_parameter(Name=f"{prefix}/ami")["Parameter"]["Version"] == 2


@pytest.mark.parametrize("value", ["ami-1234567", "ami-xyz12345", "12345678", "ami-0123456789abcdef"])
def test_bad_ami_ids(ssm, prefix, value):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/ami", Value=value, Type="String", DataType="aws:ec2:image")
    assert code(e) == "ValidationException"


def test_data_type_errors(ssm, prefix):
    for bad in ("Text", "aws:ec2:Image", "json"):
        with pytest.raises(ClientError) as e:
            ssm.put_parameter(Name=f"{prefix}/d", Value="x", Type="String", DataType=bad)
        assert code(e) == "ValidationException"
        assert message(e) == (
            f"The following data type is not supported: {bad} (Data type names are all lowercase.)"
        )
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(
            Name=f"{prefix}/d", Value="ami-12345678", Type="SecureString", DataType="aws:ec2:image"
        )
    assert code(e) == "UnsupportedParameterType"


def test_allowed_pattern(ssm, prefix):
    name = f"{prefix}/port"
    ssm.put_parameter(Name=name, Value="8080", Type="String", AllowedPattern=r"^\d+$")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="eighty", Overwrite=True)
    assert code(e) == "ParameterPatternMismatchException"
    assert message(e) == r"Parameter value, cannot be validated against allowedPattern: ^\d+$"
    # the pattern carries over, and the failed write left nothing behind
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"]) == ("8080", 1)
    ssm.put_parameter(Name=name, Value="443", Overwrite=True)
    (m,) = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert m["AllowedPattern"] == r"^\d+$" and m["Version"] == 2
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/bad-re", Value="x", Type="String", AllowedPattern="([")
    assert code(e) == "InvalidAllowedPatternException"


# ---- /aws/reference/secretsmanager -----------------------------------------------


@pytest.fixture
def smc():
    return boto3.client("secretsmanager", region_name=REGION)


def test_reference_shape(ssm, smc):
    sname = f"ref-{uuid.uuid4().hex[:10]}"
    created = smc.create_secret(Name=sname, SecretString="first")
    smc.put_secret_value(SecretId=sname, SecretString="second")
    ref = f"/aws/reference/secretsmanager/{sname}"
    raw = {}
    ssm.meta.events.register(
        "after-call.ssm.GetParameter",
        lambda http_response, **kw: raw.__setitem__("p", json.loads(http_response.content)["Parameter"]),
    )
    p = ssm.get_parameter(Name=ref, WithDecryption=True)["Parameter"]
    assert set(raw["p"]) <= shape("GetParameter", "Parameter")
    assert p["Name"] == ref
    assert p["Type"] == "SecureString"
    assert p["Value"] == "second"
    assert p["ARN"] == created["ARN"]
    assert "Selector" not in p
    source = json.loads(p["SourceResult"])
    assert source["Name"] == sname and source["ARN"] == created["ARN"]
    assert source["SecretString"] == "second"
    assert source["VersionStages"] == ["AWSCURRENT"]

    p = ssm.get_parameter(Name=f"{ref}:AWSPREVIOUS", WithDecryption=True)["Parameter"]
    assert (p["Name"], p["Value"], p["Selector"]) == (ref, "first", ":AWSPREVIOUS")
    assert json.loads(p["SourceResult"])["VersionStages"] == ["AWSPREVIOUS"]

    vid = created["VersionId"]
    p = ssm.get_parameter(Name=f"{ref}:{vid}", WithDecryption=True)["Parameter"]
    assert (p["Value"], p["Selector"]) == ("first", f":{vid}")
    assert json.loads(p["SourceResult"])["VersionId"] == vid

    r = ssm.get_parameters(Names=[ref, f"{ref}-missing"], WithDecryption=True)
    assert [x["Value"] for x in r["Parameters"]] == ["second"]
    assert r["InvalidParameters"] == [f"{ref}-missing"]


def test_reference_errors(ssm):
    ref = f"/aws/reference/secretsmanager/none-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=ref)
    assert code(e) == "ValidationException"
    assert message(e) == "WithDecryption flag must be True for retrieving a Secret Manager secret."
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=ref, WithDecryption=True)
    assert code(e) == "ParameterNotFound"
    assert message(e) == (
        f"An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret {ref} not found."
    )
