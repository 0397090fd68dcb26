"""Seed 000's verification steps, literally, against a real Django project.

1. Set the key (in the store: `keyward gen --format django --put ...`).
2. Run the app (`keyward run --env production -- python manage.py check --deploy`).
3. Verify it starts and Django sees a good SECRET_KEY (no security.W009).
4. Unset the key.
5. Verify it falls back in development and fails in production, with a clear
   message naming SECRET_KEY and the generation command (exit 78, EX_CONFIG).

Run through scripts/django-e2e.sh (needs KEYWARD_BIN).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

KEYWARD = os.environ.get("KEYWARD_BIN") or shutil.which("keyward")
DEV_DEFAULT = "dev-only-insecure-key-for-local-development-never-in-production"

KEYWARD_TOML = f"""\
app = "mysite"
environments = ["development", "production"]

[vars.SECRET_KEY]
description = "Django's cryptographic signing key (sessions, CSRF, password reset)"
secret = true
required_in = ["production"]
dev_default = "{DEV_DEFAULT}"
source = "/{{app}}/{{env}}/secret_key"
rules = ["django-secret-key"]

[vars.DEBUG]
description = "Django debug mode; never true in production"
type = "bool"
dev_default = "True"
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A running keyward server, a Django project and the environment to use."""
    assert KEYWARD, "set KEYWARD_BIN to the keyward binary"
    tmp = tmp_path_factory.mktemp("django-e2e")
    base = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
    base["XDG_CACHE_HOME"] = str(tmp / "cache")
    init = subprocess.run(
        [KEYWARD, "init", "--data-dir", str(tmp / "data"), "--json"],
        env=base, capture_output=True, text=True, check=True,
    )
    creds = json.loads(init.stdout)
    port = free_port()
    server = subprocess.Popen(
        [KEYWARD, "serve", "--data-dir", str(tmp / "data"), "--listen", f"127.0.0.1:{port}"],
        env={**base, "KEYWARD_LOG": "warn"},
        stdout=subprocess.DEVNULL, stderr=open(tmp / "server.log", "w"),
    )
    addr = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{addr}/v1/sys/health", timeout=1)
            break
        except OSError:
            if time.time() > deadline:
                server.kill()
                pytest.fail("keyward serve did not come up: " + (tmp / "server.log").read_text())
            time.sleep(0.1)

    project = tmp / "proj"
    project.mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(project)], check=True
    )
    settings = project / "mysite" / "settings.py"
    text = settings.read_text()
    assert "SECRET_KEY = 'django-insecure-" in text or 'SECRET_KEY = "django-insecure-' in text
    lines = []
    for line in text.splitlines():
        if line.startswith("SECRET_KEY ="):
            line = "SECRET_KEY = os.environ['SECRET_KEY']"
        elif line.startswith("DEBUG ="):
            line = "DEBUG = os.environ.get('DEBUG', 'False').lower() in ('1', 'true', 'yes', 'on')"
        lines.append(line)
    settings.write_text("import os\n" + "\n".join(lines) + "\n")
    (project / "keyward.toml").write_text(KEYWARD_TOML)

    e = dict(base)
    e.update(
        KEYWARD_ADDR=addr,
        KEYWARD_ACCESS_KEY_ID=creds["access_key_id"],
        KEYWARD_SECRET_ACCESS_KEY=creds["secret_access_key"],
    )
    e.pop("SECRET_KEY", None)
    e.pop("DEBUG", None)
    yield {"env": e, "project": project}
    server.kill()
    server.wait()


def kw(ctx, *args, extra_env=None):
    e = dict(ctx["env"])
    e.update(extra_env or {})
    return subprocess.run(
        [KEYWARD, *args], cwd=ctx["project"], env=e, capture_output=True, text=True, timeout=120
    )


def show_key(ctx, env_name, extra_env=None):
    """(SECRET_KEY, DEBUG) as Django sees them (last two lines: newer Django's shell
    prints an auto-import banner first)."""
    r = kw(
        ctx, "run", "--env", env_name, "--", sys.executable, "manage.py", "shell", "-c",
        "from django.conf import settings; print(settings.SECRET_KEY); print(settings.DEBUG)",
        extra_env=extra_env,
    )
    return r, r.stdout.splitlines()[-2:]


def test_1_unset_falls_back_in_development(env):
    r, seen = show_key(env, "development")
    assert r.returncode == 0, r.stderr
    assert seen == [DEV_DEFAULT, "True"]


def test_2_unset_fails_in_production_with_the_clear_message(env):
    r = kw(env, "run", "--env", "production", "--", sys.executable, "manage.py", "check", "--deploy")
    assert r.returncode == 78, r.stderr
    assert "SECRET_KEY environment variable must be set." in r.stderr
    assert "keyward gen --format django --put /mysite/production/secret_key" in r.stderr
    assert "System check identified" not in r.stdout + r.stderr, "Django must not have started"
    assert DEV_DEFAULT not in r.stdout + r.stderr


def test_3_weak_key_in_the_environment_is_refused_in_production(env):
    # Seed step 1 literally: DJANGO_SECRET_KEY=prod-key is far too weak for production.
    r = kw(env, "run", "--env", "production", "--", "true", extra_env={"SECRET_KEY": "prod-key"})
    assert r.returncode == 78, r.stderr
    assert "SECRET_KEY is too short" in r.stderr
    assert "prod-key" not in r.stderr


def test_4_set_in_the_store_django_sees_it(env):
    g = kw(env, "gen", "--format", "django", "--put", "/mysite/production/secret_key")
    assert g.returncode == 0, g.stderr
    assert g.stdout == "", "gen --put must not print the value"
    r = kw(env, "run", "--env", "production", "--", sys.executable, "manage.py", "check", "--deploy")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "security.W009" not in out, out
    shown, (key, debug) = show_key(env, "production")
    assert shown.returncode == 0, shown.stderr
    assert len(key) == 50 and debug == "False"
    # And the check command agrees without running anything.
    c = kw(env, "check", "--env", "production")
    assert c.returncode == 0, c.stderr


def test_5_unset_again_production_refuses_development_still_falls_back(env):
    rm = kw(env, "rm", "--force", "/mysite/production/secret_key")
    assert rm.returncode == 0, rm.stderr
    r = kw(env, "run", "--env", "production", "--", sys.executable, "manage.py", "check", "--deploy")
    assert r.returncode == 78
    assert "SECRET_KEY" in r.stderr and "keyward gen --format django" in r.stderr
    d, seen = show_key(env, "development")
    assert d.returncode == 0 and seen[0] == DEV_DEFAULT
