"""boto3 and awscli over TLS (issue 18): `keyward dev --tls` prints exports, and
the AWS clients work with nothing but those exports (AWS_CA_BUNDLE trusts the dev
CA); without the CA bundle they refuse the certificate."""

import os
import subprocess
import sys
import tempfile
import time
import uuid

import boto3
import botocore.exceptions
import pytest

from conftest import _binary, _free_port


@pytest.fixture(scope="module")
def dev_tls():
    binary = _binary()
    work = tempfile.mkdtemp(prefix="keyward-pytest-tls-")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "dev", "--tls", "--data-dir", os.path.join(work, "dev"),
         "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    exports = {}
    for line in proc.stdout:
        if line.startswith("export "):
            k, v = line[len("export "):].strip().split("=", 1)
            exports[k] = v.strip("'")
            if k == "AWS_CA_BUNDLE":
                break
    try:
        yield exports
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def aws_env(exports):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({k: v for k, v in exports.items() if k.startswith("AWS_")})
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               AWS_EC2_METADATA_DISABLED="true", NO_PROXY="127.0.0.1,localhost")
    return env


def test_exports_are_https(dev_tls):
    assert dev_tls["AWS_ENDPOINT_URL"].startswith("https://")
    assert dev_tls["KEYWARD_ADDR"].startswith("https://")
    assert os.path.isfile(dev_tls["AWS_CA_BUNDLE"])
    assert dev_tls["KEYWARD_CACERT"] == dev_tls["AWS_CA_BUNDLE"]


def test_boto3_over_tls_with_aws_ca_bundle(dev_tls, monkeypatch):
    for k, v in aws_env(dev_tls).items():
        monkeypatch.setenv(k, v)
    name = f"/tlsapp/{uuid.uuid4().hex[:8]}/db"
    deadline = time.time() + 60
    while True:
        sm = boto3.session.Session().client("secretsmanager")
        try:
            sm.create_secret(Name=name, SecretString="over-tls")
            break
        except botocore.exceptions.EndpointConnectionError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "over-tls"
    assert sm._endpoint.host.startswith("https://")

    # Without the bundle, the dev certificate is not trusted.
    monkeypatch.delenv("AWS_CA_BUNDLE")
    untrusting = boto3.session.Session().client("secretsmanager")
    with pytest.raises(botocore.exceptions.SSLError):
        untrusting.get_secret_value(SecretId=name)


def test_awscli_over_tls_with_aws_ca_bundle(dev_tls):
    env = aws_env(dev_tls)
    name = f"/tlsapp/{uuid.uuid4().hex[:8]}/api"
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    deadline = time.time() + 60
    while True:
        out = subprocess.run([aws, "secretsmanager", "create-secret", "--name", name,
                              "--secret-string", "cli-tls"], env=env, capture_output=True,
                             text=True, timeout=60)
        if out.returncode == 0 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([aws, "secretsmanager", "get-secret-value", "--secret-id", name,
                          "--query", "SecretString", "--output", "text"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "cli-tls"
