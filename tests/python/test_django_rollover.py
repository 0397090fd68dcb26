"""Rotating Django's SECRET_KEY without logging everyone out (issue 14, item 5).

A real Django project runs under `keyward run`, with keyward.toml declaring
`previous_as = "SECRET_KEY_FALLBACKS"` and settings.py reading it the documented way:

    SECRET_KEY_FALLBACKS = json.loads(os.environ.get("SECRET_KEY_FALLBACKS", "[]"))

A session cookie (signed-cookie session backend) is signed under one SECRET_KEY;
after a new version of the key is stored it still validates (through the
fallback), and after the next version it no longer does.

Run through scripts/django-e2e.sh (needs KEYWARD_BIN); uses conftest's server.
"""

import json
import os
import subprocess
import sys

import pytest

SECRET_PATH = "/rollover/production/secret_key"

KEYWARD_TOML = """\
app = "rollover"
environments = ["production"]

[vars.SECRET_KEY]
description = "Django's signing key; the previous one stays valid for verification"
secret = true
required = true
source = "/{app}/{env}/secret_key"
previous_as = "SECRET_KEY_FALLBACKS"
rules = ["django-secret-key"]
"""

SETTINGS_TAIL = """
SECRET_KEY = os.environ["SECRET_KEY"]
SECRET_KEY_FALLBACKS = json.loads(os.environ.get("SECRET_KEY_FALLBACKS", "[]"))
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
"""

SIGN = (
    "from django.contrib.sessions.backends.signed_cookies import SessionStore\n"
    "s = SessionStore(); s['user'] = 'alice'; s.save(); print(s.session_key)"
)
VERIFY = (
    "import os\n"
    "from django.contrib.sessions.backends.signed_cookies import SessionStore\n"
    "print(SessionStore(session_key=os.environ['COOKIE']).load().get('user', '<rejected>'))"
)
FALLBACKS = "from django.conf import settings; print(json.dumps(settings.SECRET_KEY_FALLBACKS))"


@pytest.fixture(scope="module")
def project(keyward, tmp_path_factory):
    root = tmp_path_factory.mktemp("django-rollover")
    subprocess.run([sys.executable, "-m", "django", "startproject", "mysite", str(root)], check=True)
    settings = root / "mysite" / "settings.py"
    kept = [l for l in settings.read_text().splitlines() if not l.startswith("SECRET_KEY =")]
    settings.write_text("import json\nimport os\n" + "\n".join(kept) + SETTINGS_TAIL)
    (root / "keyward.toml").write_text(KEYWARD_TOML)
    return root


def in_django(keyward, project, code, extra_env=None):
    """Runs `code` in `manage.py shell` under `keyward run`; its last output line."""
    env = keyward.cli_env()
    for var in ("SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        env.pop(var, None)
    env.update(XDG_CACHE_HOME=str(project / ".cache"), **(extra_env or {}))
    r = subprocess.run(
        [keyward.bin, "run", "--env", "production", "--",
         sys.executable, "manage.py", "shell", "-c", "import json\n" + code],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()[-1]


def new_key_version(keyward):
    keyward.cli("gen", "--format", "django", "--put", SECRET_PATH)
    return keyward.cli("get", SECRET_PATH).stdout.strip()


def test_a_session_survives_one_rotation_and_not_two(keyward, project):
    first = new_key_version(keyward)
    assert json.loads(in_django(keyward, project, FALLBACKS)) == [], "no previous version yet"
    cookie = in_django(keyward, project, SIGN)
    assert in_django(keyward, project, VERIFY, {"COOKIE": cookie}) == "alice"

    second = new_key_version(keyward)
    assert second != first
    assert json.loads(in_django(keyward, project, FALLBACKS)) == [first]
    prev = keyward.cli("get", SECRET_PATH, "--stage", "AWSPREVIOUS").stdout.strip()
    assert prev == first
    assert in_django(keyward, project, VERIFY, {"COOKIE": cookie}) == "alice", (
        "signed before the rotation, still valid through SECRET_KEY_FALLBACKS"
    )

    new_key_version(keyward)
    assert json.loads(in_django(keyward, project, FALLBACKS)) == [second]
    assert in_django(keyward, project, VERIFY, {"COOKIE": cookie}) == "<rejected>", (
        "two rotations later the old key is gone"
    )


def test_without_the_fallback_a_rotation_logs_everyone_out(keyward, project):
    """The control: the same cookie check with SECRET_KEY_FALLBACKS emptied by the
    operator fails right after one rotation, so the previous test is not vacuous."""
    new_key_version(keyward)
    cookie = in_django(keyward, project, SIGN)
    new_key_version(keyward)
    out = in_django(keyward, project, VERIFY, {"COOKIE": cookie, "SECRET_KEY_FALLBACKS": "[]"})
    assert out == "<rejected>"
