"""What keyward refuses over the AWS protocol, and that every refusal is audited.

Requests are signed by hand (SigV4, as botocore does) so they can be tampered
with after signing: the body, the X-Amz-Target header, the date.
"""

import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ADMIN_ID, ADMIN_SECRET


def _sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signed_request(endpoint, op, body, key_id=ADMIN_ID, secret=ADMIN_SECRET,
                   region="us-east-1", when=None):
    """A SigV4-signed Secrets Manager request: (url, headers, body bytes)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    day = when.strftime("%Y%m%d")
    host = endpoint.split("://", 1)[1]
    payload = json.dumps(body).encode()
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": host,
        "x-amz-date": amz_date,
        "x-amz-target": f"secretsmanager.{op}",
    }
    signed = ";".join(sorted(headers))
    canonical = "\n".join([
        "POST", "/", "",
        "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
        signed, hashlib.sha256(payload).hexdigest(),
    ])
    scope = f"{day}/{region}/secretsmanager/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = _sign(("AWS4" + secret).encode(), day)
    k = _sign(k, region)
    k = _sign(k, "secretsmanager")
    k = _sign(k, "aws4_request")
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed}, Signature={sig}")
    return endpoint + "/", headers, payload


def send(url, headers, payload):
    """(status, json body, request id)."""
    req = urllib.request.Request(url, data=payload, method="POST")
    for k, v in headers.items():
        if k != "host":
            req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}"), r.headers.get("x-amzn-requestid")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), e.headers.get("x-amzn-requestid")


def audited(keyward, request_id, outcome, error_code=None):
    records = keyward.audit_for(request_id)
    assert len(records) == 1, f"expected one audit record for {request_id}, got {records}"
    r = records[0]
    assert r["outcome"] == outcome, r
    if error_code:
        assert r.get("error_code") == error_code, r
    return r


def client(region="us-east-1", key_id=ADMIN_ID, secret=ADMIN_SECRET):
    return boto3.session.Session().client(
        "secretsmanager", region_name=region,
        aws_access_key_id=key_id, aws_secret_access_key=secret)


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response


def test_signed_by_hand_works(keyward, sm, name):
    sm.create_secret(Name=name, SecretString="hand-signed-ok")
    status, body, rid = send(*signed_request(keyward.endpoint, "GetSecretValue", {"SecretId": name}))
    assert status == 200, body
    assert body["SecretString"] == "hand-signed-ok"
    audited(keyward, rid, "success")


def test_wrong_secret_key(keyward, sm, name):
    sm.create_secret(Name=name, SecretString="v")
    resp = error_of(lambda: client(secret="not-the-secret").get_secret_value(SecretId=name))
    assert resp["Error"]["Code"] == "InvalidSignatureException"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400 or resp["ResponseMetadata"]["HTTPStatusCode"] == 403
    r = audited(keyward, resp["ResponseMetadata"]["RequestId"], "unauthenticated", "InvalidSignatureException")
    assert r.get("access_key_id") == ADMIN_ID


def test_unknown_access_key(keyward, name):
    resp = error_of(lambda: client(key_id="AKIADOESNOTEXIST0000").get_secret_value(SecretId=name))
    assert resp["Error"]["Code"] == "UnrecognizedClientException"
    audited(keyward, resp["ResponseMetadata"]["RequestId"], "unauthenticated", "UnrecognizedClientException")


def test_tampered_body(keyward, sm, name):
    sm.create_secret(Name=name, SecretString="v")
    url, headers, payload = signed_request(keyward.endpoint, "GetSecretValue", {"SecretId": name})
    tampered = payload.replace(name.encode(), (name + "x").encode())
    status, body, rid = send(url, headers, tampered)
    assert status in (400, 403)
    assert body["__type"].endswith("InvalidSignatureException"), body
    audited(keyward, rid, "unauthenticated")


def test_tampered_target(keyward, sm, name):
    sm.create_secret(Name=name, SecretString="v")
    url, headers, payload = signed_request(
        keyward.endpoint, "DescribeSecret", {"SecretId": name, "ForceDeleteWithoutRecovery": True})
    headers["x-amz-target"] = "secretsmanager.DeleteSecret"
    status, body, rid = send(url, headers, payload)
    assert status in (400, 403)
    assert body["__type"].endswith("InvalidSignatureException"), body
    audited(keyward, rid, "unauthenticated")
    # Nothing was deleted.
    assert sm.describe_secret(SecretId=name)["Name"] == name


def test_stale_date(keyward, sm, name):
    sm.create_secret(Name=name, SecretString="v")
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, body, rid = send(*signed_request(keyward.endpoint, "GetSecretValue", {"SecretId": name}, when=old))
    assert status in (400, 403)
    assert body["__type"].endswith("InvalidSignatureException"), body
    assert "expired" in body["message"].lower()
    audited(keyward, rid, "unauthenticated")


def test_other_region_not_visible(keyward, name):
    west = client("us-west-2")
    arn = west.create_secret(Name=name, SecretString="west-only")["ARN"]
    assert ":us-west-2:" in arn
    east = client("us-east-1")
    for secret_id in (name, arn):
        resp = error_of(lambda: east.get_secret_value(SecretId=secret_id))
        assert resp["Error"]["Code"] == "ResourceNotFoundException"
        audited(keyward, resp["ResponseMetadata"]["RequestId"], "not_found")
    assert name not in [s["Name"] for s in east.list_secrets()["SecretList"]]
    assert west.get_secret_value(SecretId=arn)["SecretString"] == "west-only"


def test_policy_denies(keyward, sm):
    prefix = f"team-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=f"{prefix}/allowed/db", SecretString="ok")
    sm.create_secret(Name=f"{prefix}/other/db", SecretString="not for you")
    key_id, secret = keyward.principal(f"reader-{prefix}", {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:{prefix}/allowed/*"},
            {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
             "Resource": f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:{prefix}/allowed/forbidden*"},
        ],
    })
    reader = client(key_id=key_id, secret=secret)
    assert reader.get_secret_value(SecretId=f"{prefix}/allowed/db")["SecretString"] == "ok"

    resp = error_of(lambda: reader.get_secret_value(SecretId=f"{prefix}/other/db"))
    assert resp["Error"]["Code"] == "AccessDeniedException"
    assert "not for you" not in json.dumps(resp, default=str)
    audited(keyward, resp["ResponseMetadata"]["RequestId"], "denied", "AccessDeniedException")

    # A missing secret outside the grant is denied too: existence does not leak.
    resp = error_of(lambda: reader.get_secret_value(SecretId=f"{prefix}/other/missing"))
    assert resp["Error"]["Code"] == "AccessDeniedException"
    # An explicit deny wins over the allow.
    sm.create_secret(Name=f"{prefix}/allowed/forbidden", SecretString="x")
    resp = error_of(lambda: reader.get_secret_value(SecretId=f"{prefix}/allowed/forbidden"))
    assert resp["Error"]["Code"] == "AccessDeniedException"
    # Operations the policy does not grant.
    resp = error_of(lambda: reader.delete_secret(SecretId=f"{prefix}/allowed/db"))
    assert resp["Error"]["Code"] == "AccessDeniedException"
    audited(keyward, resp["ResponseMetadata"]["RequestId"], "denied")
    assert sm.describe_secret(SecretId=f"{prefix}/allowed/db")["Name"] == f"{prefix}/allowed/db"


def test_resource_policy_denies(keyward, sm):
    prefix = f"rp-{uuid.uuid4().hex[:8]}"
    arn = sm.create_secret(Name=f"{prefix}/db", SecretString="v")["ARN"]
    key_id, secret = keyward.principal(f"svc-{prefix}", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}],
    })
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny",
                       "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/svc-{prefix}"},
                       "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
    }))
    resp = error_of(lambda: client(key_id=key_id, secret=secret).get_secret_value(SecretId=arn))
    assert resp["Error"]["Code"] == "AccessDeniedException"
    audited(keyward, resp["ResponseMetadata"]["RequestId"], "denied")
    # Public policies are refused when asked to.
    resp = error_of(lambda: sm.put_resource_policy(SecretId=arn, BlockPublicPolicy=True, ResourcePolicy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*",
                       "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
    })))
    assert resp["Error"]["Code"] == "PublicPolicyException"


def test_bad_input_types(keyward, name):
    status, body, rid = send(*signed_request(keyward.endpoint, "GetSecretValue", {"SecretId": 42}))
    assert status == 400 and body["__type"].endswith("SerializationException"), body
    audited(keyward, rid, "invalid")
    status, body, _ = send(*signed_request(keyward.endpoint, "CreateSecret", {"Name": name, "SecretBinary": "***"}))
    assert status == 400, body
    status, body, _ = send(*signed_request(keyward.endpoint, "NoSuchOperation", {}))
    assert status == 400 and "UnknownOperation" in body["__type"], body


def test_values_never_in_errors(keyward, sm, name):
    value = "s3cr3t-" + uuid.uuid4().hex
    sm.create_secret(Name=name, SecretString=value)
    resp = error_of(lambda: sm.put_secret_value(
        SecretId=name, SecretString=value + "-other",
        ClientRequestToken=sm.describe_secret(SecretId=name)["VersionIdsToStages"].popitem()[0]))
    assert resp["Error"]["Code"] == "ResourceExistsException"
    assert value not in json.dumps(resp, default=str)
    assert value not in json.dumps(keyward.audit())
