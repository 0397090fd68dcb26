"""MFA sessions with boto3 (issue 18): a principal whose policy requires
aws:MultiFactorAuthPresent is denied with its access key and allowed with the
session credential `keyward login --mfa CODE --json` prints, sent by boto3 as
SigV4 with X-Amz-Security-Token. Codes are computed here from the enrolment's
base32 secret with RFC 6238 (Python's hmac), independently of the server's
TOTP code."""

import base64
import hashlib
import hmac
import json
import struct
import subprocess
import time

import boto3
import botocore.exceptions
import pytest

MFA_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }],
}


def totp(secret_b32, step):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def run(keyward, env, *args):
    return subprocess.run([keyward.bin, *args], env=env, capture_output=True, text=True, timeout=60)


def client(key_id, secret, token=None):
    return boto3.session.Session().client(
        "secretsmanager", region_name="us-east-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret, aws_session_token=token)


def test_boto3_with_an_mfa_session_credential(keyward, sm, name):
    sm.create_secret(Name=name, SecretString="needs-mfa")
    key_id, secret = keyward.principal("mfa-boto3", MFA_POLICY)
    env = keyward.cli_env(key_id, secret)

    out = run(keyward, env, "mfa", "enable", "--json")
    assert out.returncode == 0, out.stderr
    seed = json.loads(out.stdout)["secret"]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(key_id, secret).get_secret_value(SecretId=name)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"

    while not 2 <= time.time() % 30 <= 22:
        time.sleep(0.2)
    code = totp(seed, int(time.time()) // 30)
    out = run(keyward, env, "login", "--mfa", code, "--json")
    assert out.returncode == 0, out.stderr
    creds = json.loads(out.stdout)
    assert set(creds) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}

    session = client(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert session.get_secret_value(SecretId=name)["SecretString"] == "needs-mfa"

    # Without its token, or with another token, the session key is not accepted.
    with pytest.raises(botocore.exceptions.ClientError):
        client(creds["AccessKeyId"], creds["SecretAccessKey"]).get_secret_value(SecretId=name)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(creds["AccessKeyId"], creds["SecretAccessKey"],
               creds["SessionToken"][:-2] + "AA").get_secret_value(SecretId=name)
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"

    # The code was used: a replay is refused.
    out = run(keyward, env, "login", "--mfa", code, "--json")
    assert out.returncode != 0 and "already used" in out.stderr


def test_an_expired_session_is_refused_by_the_aws_api(keyward, sm, name):
    sm.create_secret(Name=name, SecretString="v")
    key_id, secret = keyward.principal("mfa-expiry", MFA_POLICY)
    env = keyward.cli_env(key_id, secret)
    seed = json.loads(run(keyward, env, "mfa", "enable", "--json").stdout)["secret"]
    code = totp(seed, int(time.time()) // 30)
    out = run(keyward, env, "login", "--mfa", code, "--duration-seconds", "1", "--json")
    assert out.returncode == 0, out.stderr
    creds = json.loads(out.stdout)
    time.sleep(2.5)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(creds["AccessKeyId"], creds["SecretAccessKey"],
               creds["SessionToken"]).get_secret_value(SecretId=name)
    assert e.value.response["Error"]["Code"] == "ExpiredTokenException"
