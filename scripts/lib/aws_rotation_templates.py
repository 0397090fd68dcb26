"""Runs AWS's published PostgreSQL rotation templates, unchanged, against keyward.

Usage (through scripts/aws-rotation-templates.sh): python aws_rotation_templates.py DIR
where DIR is a checkout of aws-samples/aws-secrets-manager-rotation-lambdas. The
templates' lambda_function.py files are run from DIR as they are, as keyward
`command` rotators through contrib/aws-lambda-shim, against a throwaway PostgreSQL
cluster (initdb/pg_ctl; as root through `runuser -u postgres`) and a keyward server
on a temporary data directory. Exits non-zero when a check fails.

Checked: single user, two rotations (the new password logs in, the old one does
not); multi user, three rotations (AWSCURRENT and AWSPREVIOUS log in, the one
before does not; the clone role alternates).
"""

import json
import os
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import pgdb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCOUNT = "123456789012"
ADMIN_ID = "AKIAKEYWARDTEMPLATES"
ADMIN_SECRET = "keyward-templates-admin-" + "x" * 16
TEMPLATES = {
    "single": "SecretsManagerRDSPostgreSQLRotationSingleUser",
    "multi": "SecretsManagerRDSPostgreSQLRotationMultiUser",
}
LAMBDA_ARN = {k: f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{v}" for k, v in TEMPLATES.items()}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def password():
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def pg_bindir():
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
    if out.returncode == 0 and os.path.exists(os.path.join(out.stdout.strip(), "initdb")):
        return out.stdout.strip()
    majors = sorted((int(d), d) for d in os.listdir("/usr/lib/postgresql") if d.isdigit())
    if not majors:
        sys.exit("PostgreSQL's initdb/pg_ctl were not found; install postgresql")
    return f"/usr/lib/postgresql/{majors[-1][1]}/bin"


class Cluster:
    """A throwaway PostgreSQL cluster on a free loopback port."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="keyward-templates-pg-")
        self.port = free_port()
        self.superuser_password = password()
        self.bindir = pg_bindir()
        self.as_postgres = os.geteuid() == 0
        with open(f"{self.dir}/pw", "w") as f:
            f.write(self.superuser_password + "\n")
        if self.as_postgres:
            subprocess.run(["chown", "-R", "postgres:postgres", self.dir], check=True)
        self.pg("initdb", "-D", f"{self.dir}/data", "-U", "postgres", "--no-locale", "-E", "UTF8",
                "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={self.dir}/pw")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
        self.pg("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o", options, "start")

    def pg(self, program, *args, check=True):
        cmd = [f"{self.bindir}/{program}", *args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, cwd=self.dir, check=check, stdout=subprocess.DEVNULL)

    def stop(self):
        self.pg("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def logs_in(self, value):
        try:
            pgdb.connect(host="127.0.0.1", port=self.port, user=value["username"], password=value["password"],
                         database=value.get("dbname") or "postgres", sslmode="disable").close()
            return True
        except Exception:
            return False

    def execute(self, sql, *params):
        conn = pgdb.connect(host="127.0.0.1", port=self.port, user="postgres", password=self.superuser_password,
                            database="postgres", sslmode="disable")
        conn.autocommit = True
        conn.cursor().execute(sql, params)
        conn.close()

    def role_with_database(self, role):
        pw = password()
        self.execute(f'CREATE ROLE "{role}" LOGIN PASSWORD %s', pw)
        self.execute(f'CREATE DATABASE "{role}_db"')
        return {"engine": "postgres", "host": "127.0.0.1", "port": self.port, "dbname": f"{role}_db",
                "username": role, "password": pw}


class Keyward:
    """keyward serve on a temporary data directory, each template's ARN mapped to a command rotator."""

    def __init__(self, binary, checkout):
        self.work = tempfile.mkdtemp(prefix="keyward-templates-")
        data = f"{self.work}/data"
        subprocess.run([binary, "init", "--data-dir", data, "--json", "--account-id", ACCOUNT,
                        "--admin-access-key-id", ADMIN_ID, "--admin-secret-access-key", ADMIN_SECRET],
                       check=True, capture_output=True)
        config = ["[rotation]\ncheck_every = 1\nretry_base = 1\nretry_max = 5\n"]
        for kind, directory in TEMPLATES.items():
            wrapper = f"{self.work}/rotate-{kind}"
            with open(wrapper, "w") as f:
                f.write(f"#!/bin/sh\nexec {sys.executable} {ROOT}/contrib/aws-lambda-shim/keyward_lambda_shim.py "
                        f"{checkout}/{directory}/lambda_function.py 2>>{self.work}/{kind}.log\n")
            os.chmod(wrapper, 0o755)
            config.append(f'[rotation.lambdas."{LAMBDA_ARN[kind]}"]\nrotator = "command"\ncommand = "{wrapper}"\n')
        with open(f"{self.work}/server.toml", "w") as f:
            f.write("".join(config))
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.log = open(f"{self.work}/server.log", "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}", "--config",
             f"{self.work}/server.toml"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/v1/sys/health", timeout=1)
                break
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    sys.exit(f"keyward did not start; see {self.work}/server.log")
                time.sleep(0.1)

    def lambda_log(self, kind):
        path = f"{self.work}/{kind}.log"
        return open(path).read() if os.path.exists(path) else ""

    def stop(self, keep):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()
        if not keep:
            shutil.rmtree(self.work, ignore_errors=True)


def rotate(sm, name, kind):
    sm.rotate_secret(SecretId=name, RotationLambdaARN=LAMBDA_ARN[kind], RotateImmediately=True)

    def read(stage):
        return json.loads(sm.get_secret_value(SecretId=name, VersionStage=stage)["SecretString"])

    return read("AWSCURRENT"), read("AWSPREVIOUS")


def main(checkout, binary):
    for directory in TEMPLATES.values():
        if not os.path.isfile(f"{checkout}/{directory}/lambda_function.py"):
            sys.exit(f"{checkout} has no {directory}/lambda_function.py; "
                     "give a checkout of aws-samples/aws-secrets-manager-rotation-lambdas")
    cluster = Cluster()
    server = None
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    try:
        server = Keyward(binary, checkout)
        sm = boto3.client("secretsmanager", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id=ADMIN_ID, aws_secret_access_key=ADMIN_SECRET)

        value = cluster.role_with_database("single_app")
        sm.create_secret(Name="templates/single", SecretString=json.dumps(value))
        for n in (1, 2):
            current, previous = rotate(sm, "templates/single", "single")
            check(previous == value, f"single user, rotation {n}: AWSPREVIOUS is the value before")
            check(cluster.logs_in(current), f"single user, rotation {n}: the new password logs in")
            check(not cluster.logs_in(previous), f"single user, rotation {n}: the old password does not")
            value = current

        master = {"engine": "postgres", "host": "127.0.0.1", "port": cluster.port, "dbname": "postgres",
                  "username": "postgres", "password": cluster.superuser_password}
        master_arn = sm.create_secret(Name="templates/master", SecretString=json.dumps(master))["ARN"]
        value = dict(cluster.role_with_database("multi_app"), masterarn=master_arn)
        sm.create_secret(Name="templates/multi", SecretString=json.dumps(value))
        before = None
        for n in (1, 2, 3):
            current, previous = rotate(sm, "templates/multi", "multi")
            check(previous == value, f"multi user, rotation {n}: AWSPREVIOUS is the value before")
            check(current["username"] != previous["username"], f"multi user, rotation {n}: the role alternates")
            check(cluster.logs_in(current), f"multi user, rotation {n}: AWSCURRENT logs in")
            check(cluster.logs_in(previous), f"multi user, rotation {n}: AWSPREVIOUS logs in")
            if before:
                check(not cluster.logs_in(before), f"multi user, rotation {n}: the value before that does not")
            before, value = previous, current
    except Exception as e:  # a rotation the templates could not complete
        failures.append(repr(e))
        print("FAIL", repr(e))
    finally:
        if failures and server:
            for kind in TEMPLATES:
                print(f"--- {kind} template stderr (last lines)\n" + "".join(server.lambda_log(kind).splitlines(True)[-20:]))
        if server:
            server.stop(keep=bool(failures))
            if failures:
                print(f"server files kept in {server.work}")
        cluster.stop()
    print(f"{'FAILED' if failures else 'passed'}: AWS's PostgreSQL rotation templates against keyward")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: aws_rotation_templates.py CHECKOUT_OF_aws-secrets-manager-rotation-lambdas")
    sys.exit(main(os.path.abspath(sys.argv[1]), os.environ["KEYWARD_BIN"]))
