"""Alerts by email and Prometheus metrics, against a real keyward server.

- Email: a local SMTP server (aiosmtpd from PyPI) that requires STARTTLS, with a
  certificate from a throwaway CA that keyward is told to trust (smtp_ca_file);
  a denied read raises a critical alert that arrives as one email, and
  `keyward alert test` sends one more. No secret value is in any message.
- Metrics: `serve --metrics-listen`; /metrics parses with prometheus_client's
  Prometheus text parser and its request counters equal the requests sent.

Each test starts its own server (own data directory, own config file).
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import boto3
import pytest
from aiosmtpd.controller import Controller
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN_ID = "AKIAKEYWARDALERTSADM"
ADMIN_SECRET = "keyward-alerts-admin-secret-" + "y" * 12


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


def _wait(what, pred, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Server:
    def __init__(self, work, config_text, extra_args=()):
        self.bin = _binary()
        self.work = work
        self.data = os.path.join(work, "data")
        subprocess.run(
            [self.bin, "init", "--data-dir", self.data, "--json",
             "--admin-access-key-id", ADMIN_ID, "--admin-secret-access-key", ADMIN_SECRET],
            check=True, capture_output=True, timeout=120,
        )
        self.config = os.path.join(work, "server.toml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(work, "server.log")
        self.log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYWARD_", "AWS_"))}
        self.proc = subprocess.Popen(
            [self.bin, "serve", "--data-dir", self.data, "--listen", f"127.0.0.1:{self.port}",
             "--config", self.config, *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )

        def up():
            try:
                urllib.request.urlopen(self.endpoint + "/v1/sys/health", timeout=1)
                return True
            except Exception:
                if self.proc.poll() is not None:
                    raise AssertionError("keyward exited: " + open(self.log_path).read())
                return False

        _wait("keyward to come up", up, timeout=60)

    def cli(self, *args, check=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYWARD_", "AWS_"))}
        env.update(KEYWARD_ADDR=self.endpoint, KEYWARD_ACCESS_KEY_ID=ADMIN_ID,
                   KEYWARD_SECRET_ACCESS_KEY=ADMIN_SECRET)
        out = subprocess.run([self.bin, *args], env=env, capture_output=True, text=True, timeout=60)
        if check and out.returncode != 0:
            raise AssertionError(f"keyward {' '.join(args)} failed: {out.stderr}")
        return out

    def sm(self, key_id=ADMIN_ID, secret=ADMIN_SECRET):
        return boto3.session.Session().client(
            service_name="secretsmanager", region_name="us-east-1", endpoint_url=self.endpoint,
            aws_access_key_id=key_id, aws_secret_access_key=secret,
        )

    def server_log(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def work():
    with tempfile.TemporaryDirectory(prefix="keyward-alerts-") as d:
        os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
        yield d


def _tls_files(work):
    """A throwaway CA and a leaf certificate for 127.0.0.1 signed by it."""
    ca_key, ca = os.path.join(work, "ca.key"), os.path.join(work, "ca.pem")
    key, csr, cert = (os.path.join(work, n) for n in ("smtp.key", "smtp.csr", "smtp.pem"))
    ext = os.path.join(work, "leaf.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
        "-days", "2", "-subj", "/CN=keyward test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "content": envelope.content.decode("utf-8", "replace"),
        })
        return "250 OK"


def test_a_critical_alert_arrives_by_email_over_starttls(work):
    import ssl

    ca, cert, key = _tls_files(work)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    inbox = Inbox()
    smtp_port = _free_port()
    # require_starttls: MAIL before STARTTLS is refused, so any message that
    # arrives came over TLS.
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port,
                            tls_context=ctx, require_starttls=True)
    controller.start()
    server = None
    try:
        config = f"""
[[alert.sink]]
name = "admins"
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_tls = "starttls"
smtp_ca_file = "{ca}"
from = "keyward@example.test"
to = ["secops@example.test", "oncall@example.test"]
min_severity = "high"

[alert.delivery]
retry_initial = 0.2
retry_max = 1
"""
        server = Server(work, config)
        value = "email-test-value-never-sent-5d2a9"
        sm = server.sm()
        sm.create_secret(Name="ops/db", SecretString=value)
        created = json.loads(server.cli("principal", "create", "intruder", "--json").stdout)
        key_id = created.get("access_key_id") or created["access_key"]["access_key_id"]
        secret = created.get("secret_access_key") or created["access_key"]["secret_access_key"]
        intruder = server.sm(key_id, secret)
        with pytest.raises(Exception) as denied:
            intruder.get_secret_value(SecretId="ops/db")
        assert "AccessDenied" in str(denied.value)
        # A first read by the admin is low severity: below this sink's min_severity.
        sm.get_secret_value(SecretId="ops/db")

        _wait("the alert email", lambda: len(inbox.messages) >= 1)
        time.sleep(2)
        assert len(inbox.messages) == 1, [m["content"][:300] for m in inbox.messages]
        msg = inbox.messages[0]
        assert msg["from"] == "keyward@example.test"
        assert sorted(msg["to"]) == ["oncall@example.test", "secops@example.test"]
        assert "[keyward critical] unauthorized_access" in msg["content"]
        assert "ops/db" in msg["content"]
        assert "intruder" in msg["content"]

        out = server.cli("alert", "test", "admins")
        assert "delivered" in out.stdout
        _wait("the test email", lambda: len(inbox.messages) >= 2)
        assert "test alert" in inbox.messages[1]["content"]

        rows = json.loads(server.cli("alert", "ls", "--json").stdout)
        assert [r["state"] for r in rows if r["sink"] == "admins"] == ["delivered"]
        everything = "\n".join(m["content"] for m in inbox.messages) + server.server_log()
        assert value not in everything
        assert secret not in everything
    finally:
        if server:
            server.stop()
        controller.stop()


def _samples(text, family):
    for fam in text_string_to_metric_families(text):
        if fam.name == family:
            return fam.samples
    raise AssertionError(f"no metric family {family} in:\n{text}")


def test_metrics_parse_and_count_the_requests_sent(work):
    metrics_port = _free_port()
    server = Server(work, "[cache]\nread_ttl_ms = 0\n",
                    extra_args=("--metrics-listen", f"127.0.0.1:{metrics_port}"))
    try:
        value = "metrics-test-value-never-exported-8e4b"
        sm = server.sm()
        sm.create_secret(Name="app/key", SecretString=value)
        reads, misses = 7, 3
        for _ in range(reads):
            assert sm.get_secret_value(SecretId="app/key")["SecretString"] == value
        for i in range(misses):
            with pytest.raises(Exception):
                sm.get_secret_value(SecretId=f"app/missing-{i}")
        text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
        assert value not in text and ADMIN_SECRET not in text

        def count(op, outcome):
            return sum(s.value for s in _samples(text, "keyward_requests")
                       if s.name == "keyward_requests_total"
                       and s.labels.get("operation") == op and s.labels.get("outcome") == outcome)

        assert count("secretsmanager:GetSecretValue", "success") == reads
        assert count("secretsmanager:GetSecretValue", "client_error") == misses
        assert count("secretsmanager:CreateSecret", "success") == 1

        # What Prometheus itself asks for: OpenMetrics, which parses strictly too.
        req = urllib.request.Request(f"http://127.0.0.1:{metrics_port}/metrics",
                                     headers={"Accept": "application/openmetrics-text; version=1.0.0"})
        om = urllib.request.urlopen(req, timeout=10).read().decode()
        fams = {f.name: f for f in openmetrics_families(om)}
        gets = [s.value for s in fams["keyward_requests"].samples
                if s.labels.get("operation") == "secretsmanager:GetSecretValue"
                and s.labels.get("outcome") == "success"]
        assert gets == [reads]
        hist = [s for s in _samples(text, "keyward_request_duration_seconds")
                if s.name == "keyward_request_duration_seconds_count"
                and s.labels.get("operation") == "secretsmanager:GetSecretValue"]
        assert [s.value for s in hist] == [reads + misses]
        sealed = _samples(text, "keyward_sealed")
        assert [s.value for s in sealed] == [0]
        assert [s.value for s in _samples(text, "keyward_store_up")] == [1]
        assert _samples(text, "keyward_audit_queue_depth")[0].value >= 0
        commits = [s for s in _samples(text, "keyward_audit_commit_duration_seconds")
                   if s.name.endswith("_count")]
        assert commits and commits[0].value >= 1

        # The native API is counted by route.
        health = urllib.request.urlopen(server.endpoint + "/v1/sys/health", timeout=5)
        assert health.status == 200
        body = json.loads(health.read())
        assert body["status"] == "ok" and body["storage"] == "ok" and body["audit"] == "ok"
        text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
        health_count = sum(s.value for s in _samples(text, "keyward_requests")
                           if s.labels.get("operation") == "GET /v1/sys/health")
        assert health_count >= 2  # the start-up probe and this one
    finally:
        server.stop()
