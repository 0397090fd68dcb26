"""Secrets Manager details: LastAccessedDate (per day, written in the background),
ListSecrets pagination through boto3's paginator and the awscli, and
GetRandomPassword with every flag at every length AWS allows."""

import datetime
import json
import os
import shutil
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ADMIN_ID, ADMIN_SECRET, _binary, _free_port

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def aws_cli(*args):
    here = os.path.join(os.path.dirname(sys.executable), "aws")
    exe = here if os.path.exists(here) else shutil.which("aws")
    if not exe:
        pytest.fail("awscli is not installed in the test venv (tests/python/requirements.txt)")
    out = subprocess.run([exe, *args, "--output", "json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def today_utc():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def wait_for(fetch, what, timeout=30):
    """Polls `fetch` until it returns something truthy: the date is written in the
    background, so a read's effect shows up shortly after the read answers."""
    deadline = time.monotonic() + timeout
    while True:
        got = fetch()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not show up within {timeout}s")
        time.sleep(0.2)


# ---- LastAccessedDate ---------------------------------------------------------------


def test_last_accessed_date_appears_after_a_read(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    d = sm.describe_secret(SecretId=name)
    assert "LastAccessedDate" not in d
    changed = d["LastChangedDate"]
    for _ in range(20):
        sm.get_secret_value(SecretId=name)
    d = wait_for(
        lambda: (lambda x: x if "LastAccessedDate" in x else None)(sm.describe_secret(SecretId=name)),
        "LastAccessedDate",
    )
    # AWS keeps the day only: midnight UTC of the day of the read.
    assert d["LastAccessedDate"] == today_utc()
    # Reading is not changing.
    assert d["LastChangedDate"] == changed
    listed = [
        s
        for page in sm.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": [name]}]
        )
        for s in page["SecretList"]
    ]
    assert [s["LastAccessedDate"] for s in listed if s["Name"] == name] == [today_utc()]


def test_describe_and_list_do_not_count_as_access(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    sm.describe_secret(SecretId=name)
    sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])
    sm.list_secret_version_ids(SecretId=name)
    # a read of a different secret is written; by then this one would be too
    other = name + "-other"
    sm.create_secret(Name=other, SecretString="v")
    sm.get_secret_value(SecretId=other)
    wait_for(lambda: "LastAccessedDate" in sm.describe_secret(SecretId=other), "the other read")
    assert "LastAccessedDate" not in sm.describe_secret(SecretId=name)


def test_batch_and_parameter_store_reads_count(sm, name):
    a, b = name + "-a", name + "-b"
    sm.create_secret(Name=a, SecretString="1")
    sm.create_secret(Name=b, SecretString="2")
    sm.batch_get_secret_value(SecretIdList=[a])
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.get_parameter(Name=f"/aws/reference/secretsmanager/{b}", WithDecryption=True)
    for n in (a, b):
        wait_for(lambda n=n: "LastAccessedDate" in sm.describe_secret(SecretId=n), f"{n} access")


def start_server(*extra):
    """A second keyward (own data directory) started with `extra` serve flags."""
    binary = _binary()
    work = tempfile.mkdtemp(prefix="keyward-pytest-la-")
    data = os.path.join(work, "data")
    subprocess.run(
        [binary, "init", "--data-dir", data, "--json", "--account-id", ACCOUNT,
         "--admin-access-key-id", ADMIN_ID, "--admin-secret-access-key", ADMIN_SECRET],
        check=True, capture_output=True, timeout=120,
    )
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [binary, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint + "/v1/sys/health", timeout=1)
            return proc, endpoint
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("second keyward did not come up")
            time.sleep(0.1)


def test_switched_off_it_is_never_recorded(name):
    proc, endpoint = start_server("--record-last-accessed", "false")
    try:
        off = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=endpoint)
        off.create_secret(Name=name, SecretString="v")
        witness = name + "-witness"
        off.create_secret(Name=witness, SecretString="v")
        for _ in range(5):
            off.get_secret_value(SecretId=name)
        # Nothing to wait for when it is off; give the writer the time it takes
        # to record a read when on (the first test shows that is well under 30s)
        # by waiting for a change that is always made: a tag.
        off.tag_resource(SecretId=witness, Tags=[{"Key": "k", "Value": "v"}])
        wait_for(lambda: off.describe_secret(SecretId=witness).get("Tags"), "tag")
        assert "LastAccessedDate" not in off.describe_secret(SecretId=name)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---- ListSecrets pagination ---------------------------------------------------------


@pytest.fixture
def many(sm):
    prefix = f"page-{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}/s{i:02}" for i in range(13)]
    for n in names:
        sm.create_secret(Name=n, SecretString="x")
    return prefix, names


@pytest.mark.parametrize("page_size", [1, 2, 5, 13, 100])
def test_list_secrets_paginator_returns_each_once(sm, many, page_size):
    prefix, names = many
    seen = []
    for page in sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [prefix]}], PaginationConfig={"PageSize": page_size}
    ):
        assert len(page["SecretList"]) <= page_size
        seen += [s["Name"] for s in page["SecretList"]]
    assert sorted(seen) == names and len(seen) == len(set(seen))


def test_awscli_list_secrets_follows_tokens(many):
    prefix, names = many
    out = aws_cli("secretsmanager", "list-secrets", "--page-size", "3",
                  "--filters", f"Key=name,Values={prefix}")
    got = [s["Name"] for s in out["SecretList"]]
    assert sorted(got) == names and len(got) == len(set(got))


# ---- GetRandomPassword --------------------------------------------------------------

CLASSES = {
    "ExcludeLowercase": string.ascii_lowercase,
    "ExcludeUppercase": string.ascii_uppercase,
    "ExcludeNumbers": string.digits,
    "ExcludePunctuation": PUNCTUATION,
}


def test_default_password(sm):
    pw = sm.get_random_password()["RandomPassword"]
    assert len(pw) == 32
    for chars in CLASSES.values():
        assert any(c in chars for c in pw)
    assert " " not in pw


def test_every_length_aws_allows(sm):
    # 1..4096, with every type required and the space included (five types): the
    # four shortest lengths cannot hold one of each and must be refused.
    for length in range(1, 4097):
        kw = {"PasswordLength": length, "IncludeSpace": True}
        if length < 5:
            with pytest.raises(ClientError) as e:
                sm.get_random_password(**kw)
            assert e.value.response["Error"]["Code"] == "InvalidParameterException"
            assert e.value.response["Error"]["Message"] == (
                "Password length is too short based on the required types."
            )
            continue
        pw = sm.get_random_password(**kw)["RandomPassword"]
        assert len(pw) == length
        assert " " in pw
        for chars in CLASSES.values():
            assert any(c in chars for c in pw), (length, pw)


@pytest.mark.parametrize("flag", sorted(CLASSES))
@pytest.mark.parametrize("length", [3, 4, 64, 4096])
def test_each_exclusion(sm, flag, length):
    pw = sm.get_random_password(PasswordLength=length, **{flag: True})["RandomPassword"]
    assert len(pw) == length
    assert not any(c in CLASSES[flag] for c in pw)
    for other, chars in CLASSES.items():
        if other != flag:
            assert any(c in chars for c in pw)


def test_exclude_characters_and_combinations(sm):
    pw = sm.get_random_password(
        PasswordLength=500, ExcludeCharacters="abcXYZ019/@\"'\\ ", IncludeSpace=False
    )["RandomPassword"]
    assert not set(pw) & set("abcXYZ019/@\"'\\ ")
    pw = sm.get_random_password(
        PasswordLength=100, ExcludeUppercase=True, ExcludeLowercase=True, ExcludePunctuation=True
    )["RandomPassword"]
    assert pw.isdigit() and len(pw) == 100
    pw = sm.get_random_password(
        PasswordLength=2, ExcludeUppercase=True, ExcludeNumbers=True, ExcludePunctuation=True,
        IncludeSpace=True,
    )["RandomPassword"]
    # two required types in two characters: exactly one of each
    assert len(pw) == 2 and pw.count(" ") == 1 and pw.replace(" ", "").islower()
    # excluding every character of a type drops that type from the requirement
    pw = sm.get_random_password(PasswordLength=3, ExcludeCharacters=string.digits)["RandomPassword"]
    assert len(pw) == 3 and not any(c.isdigit() for c in pw)


def test_without_require_each_type_any_length_works(sm):
    for length in (1, 2, 3):
        pw = sm.get_random_password(PasswordLength=length, RequireEachIncludedType=False,
                                    IncludeSpace=True)["RandomPassword"]
        assert len(pw) == length


@pytest.mark.parametrize(
    "kw",
    [
        {"PasswordLength": 3},
        {"PasswordLength": 4, "IncludeSpace": True},
        {"PasswordLength": 1, "ExcludeNumbers": True, "ExcludePunctuation": True},
    ],
)
def test_too_short_for_the_required_types_is_refused(sm, kw):
    with pytest.raises(ClientError) as e:
        sm.get_random_password(**kw)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"


def test_nothing_left_to_draw_from(sm):
    with pytest.raises(ClientError) as e:
        sm.get_random_password(
            ExcludeLowercase=True, ExcludeUppercase=True, ExcludeNumbers=True, ExcludePunctuation=True
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"


@pytest.mark.parametrize("length", [0, -1, 4097, 100000])
def test_lengths_outside_the_model(keyward, length):
    # botocore would refuse 0 itself: send what a client without validation sends
    raw = boto3.client("secretsmanager", region_name="us-east-1",
                       config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        raw.get_random_password(PasswordLength=length)
    assert e.value.response["Error"]["Code"] in ("ValidationException", "InvalidParameterValue")
    assert "RandomPassword" not in e.value.response


def test_awscli_get_random_password():
    out = aws_cli("secretsmanager", "get-random-password", "--password-length", "40",
                  "--exclude-punctuation", "--include-space")
    pw = out["RandomPassword"]
    assert len(pw) == 40 and " " in pw and not any(c in PUNCTUATION for c in pw)
