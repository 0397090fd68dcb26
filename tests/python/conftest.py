"""Fixtures for driving a real keyward server with boto3 and awscli.

One server per test session: `keyward init` into a temporary data directory
(account 123456789012, a known admin key), `keyward serve` on a free loopback
port. The AWS environment variables are pointed at it, so code written for AWS
(the seed snippets) runs unchanged: no endpoint_url, no credentials in code.

KEYWARD_BIN selects the binary (default: target/debug/keyward, honouring
CARGO_TARGET_DIR).
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCOUNT = "123456789012"
ADMIN_ID = "AKIAKEYWARDTESTADMIN"
ADMIN_SECRET = "keyward-test-admin-secret-" + "x" * 14


def _binary():
    if os.environ.get("KEYWARD_BIN"):
        return os.environ["KEYWARD_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "debug", "keyward")


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Keyward:
    """A running keyward server and helpers to look at it."""

    def __init__(self, binary, data_dir, endpoint, proc):
        self.bin = binary
        self.data_dir = data_dir
        self.endpoint = endpoint
        self.proc = proc

    def cli_env(self, key_id=ADMIN_ID, secret=ADMIN_SECRET):
        env = dict(os.environ)
        env.update(
            KEYWARD_ADDR=self.endpoint,
            KEYWARD_ACCESS_KEY_ID=key_id,
            KEYWARD_SECRET_ACCESS_KEY=secret,
        )
        return env

    def cli(self, *args, check=True):
        out = subprocess.run(
            [self.bin, *args], env=self.cli_env(), capture_output=True, text=True, timeout=60
        )
        if check and out.returncode != 0:
            raise AssertionError(f"keyward {' '.join(args)} failed: {out.stderr}")
        return out

    def audit(self, limit=2000):
        """Audit records, newest first (`keyward audit ls --json`)."""
        out = self.cli("audit", "ls", "--json", "--limit", str(limit)).stdout
        data = json.loads(out)
        if isinstance(data, dict):
            data = data.get("records", [])
        return data

    def audit_for(self, request_id):
        return [r for r in self.audit() if r.get("request_id") == request_id]

    def principal(self, name, policy):
        """Creates a principal with `policy` attached; returns (key id, secret)."""
        created = json.loads(self.cli("principal", "create", name, "--json").stdout)
        key_id = created.get("access_key_id") or created["access_key"]["access_key_id"]
        secret = created.get("secret_access_key") or created["access_key"]["secret_access_key"]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(policy, f)
            path = f.name
        try:
            self.cli("policy", "put", f"{name}-policy", "--file", path)
        finally:
            os.unlink(path)
        self.cli("principal", "attach", name, f"{name}-policy")
        return key_id, secret


# A rotation Lambda written for AWS, run by keyward as a `command` rotator
# through the shim in contrib/ (see test_sm_rotation.py).
ROTATOR_LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:keyward-test-api-key-rotator"


def _server_config(work):
    """The server config: the test Lambda's ARN mapped to a command rotator."""
    wrapper = os.path.join(work, "rotate-api-key")
    with open(wrapper, "w") as f:
        f.write(
            "#!/bin/sh\n"
            f"exec {sys.executable} {ROOT}/contrib/aws-lambda-shim/keyward_lambda_shim.py "
            f"{ROOT}/tests/python/rotation_lambda/lambda_function.py\n"
        )
    os.chmod(wrapper, 0o755)
    config = os.path.join(work, "server.toml")
    with open(config, "w") as f:
        f.write(f'[rotation.lambdas."{ROTATOR_LAMBDA_ARN}"]\nrotator = "command"\ncommand = "{wrapper}"\n')
    return config


@pytest.fixture(scope="session")
def keyward():
    binary = _binary()
    if not os.path.exists(binary):
        pytest.exit(f"keyward binary not found at {binary}; build it (cargo build -p keyward) or set KEYWARD_BIN")
    work = tempfile.mkdtemp(prefix="keyward-pytest-")
    data = os.path.join(work, "data")
    subprocess.run(
        [binary, "init", "--data-dir", data, "--json", "--account-id", ACCOUNT,
         "--admin-access-key-id", ADMIN_ID, "--admin-secret-access-key", ADMIN_SECRET],
        check=True, capture_output=True, timeout=120,
    )
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    config = _server_config(work)
    log = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen(
        [binary, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}", "--config", config],
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint + "/v1/sys/health", timeout=1)
            break
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("keyward did not come up; see " + log.name)
            time.sleep(0.1)

    saved = dict(os.environ)
    for k in list(os.environ):
        if k.startswith("AWS_"):
            del os.environ[k]
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID=ADMIN_ID,
        AWS_SECRET_ACCESS_KEY=ADMIN_SECRET,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    try:
        yield Keyward(binary, data, endpoint, proc)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def sm(keyward):
    import boto3

    return boto3.session.Session().client(service_name="secretsmanager", region_name="us-east-1")


@pytest.fixture
def name():
    """A fresh secret name per test."""
    return f"pytest/{uuid.uuid4().hex[:12]}/value"
