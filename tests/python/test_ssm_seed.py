"""The seed's Parameter Store pattern, verbatim, and its IAM policy."""

import os
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from test_ssm_support import code, make_principal, ssm, ssm_client  # noqa: F401

SEED_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["ssm:GetParameter"],
            "Resource": "arn:aws:ssm:*:*:parameter/myapp/prod/*",
        }
    ],
}


# --- verbatim from the seed -------------------------------------------------
def get_secret(name: str) -> str:
    """Fetch secret from AWS SSM Parameter Store."""
    ssm = boto3.client("ssm")
    response = ssm.get_parameter(Name=name, WithDecryption=True)
    return response["Parameter"]["Value"]
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_keys():
    admin = ssm_client()
    for name, value in [
        ("/myapp/prod/database_url", "postgresql://prod-db/myapp"),
        ("/myapp/prod/stripe_secret_key", "sk_live_example"),
        ("/myapp/staging/database_url", "postgresql://staging-db/myapp"),
    ]:
        admin.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    return make_principal(f"app-{uuid.uuid4().hex[:8]}", SEED_POLICY)


def test_seed_get_secret_as_admin(app_keys):
    assert get_secret("/myapp/prod/database_url") == "postgresql://prod-db/myapp"


def test_seed_get_secret_as_app_principal(monkeypatch, app_keys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", app_keys[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", app_keys[1])
    # Usage, as in the seed
    database_url = get_secret("/myapp/prod/database_url")
    assert database_url == "postgresql://prod-db/myapp"
    assert get_secret("/myapp/prod/stripe_secret_key") == "sk_live_example"


def test_seed_policy_denies_staging(app_keys):
    app = ssm_client(*app_keys)
    with pytest.raises(ClientError) as e:
        app.get_parameter(Name="/myapp/staging/database_url", WithDecryption=True)
    assert code(e) == "AccessDeniedException"


def test_seed_policy_denial_hides_existence(app_keys):
    app = ssm_client(*app_keys)
    with pytest.raises(ClientError) as e:
        app.get_parameter(Name="/myapp/staging/no_such_parameter")
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        app.get_parameter(Name="/myapp/prod/no_such_parameter")
    assert code(e) == "ParameterNotFound"


def test_seed_policy_denies_writes(app_keys):
    app = ssm_client(*app_keys)
    with pytest.raises(ClientError) as e:
        app.put_parameter(
            Name="/myapp/prod/database_url", Value="x", Type="SecureString", Overwrite=True
        )
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        app.delete_parameter(Name="/myapp/prod/database_url")
    assert code(e) == "AccessDeniedException"
    assert get_secret("/myapp/prod/database_url") == "postgresql://prod-db/myapp"


def test_seed_policy_other_read_actions_are_separate(app_keys):
    # AWS authorizes GetParameters / GetParametersByPath / GetParameterHistory
    # against their own actions: ssm:GetParameter alone doesn't grant them.
    app = ssm_client(*app_keys)
    with pytest.raises(ClientError) as e:
        app.get_parameters(Names=["/myapp/prod/database_url"], WithDecryption=True)
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        app.get_parameters_by_path(Path="/myapp/prod")
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        app.get_parameter_history(Name="/myapp/prod/database_url")
    assert code(e) == "AccessDeniedException"


def test_by_path_is_authorized_on_the_path_and_explicit_deny_still_wins():
    # A principal allowed GetParametersByPath on /myapp/prod sees what is under it,
    # except a parameter it is explicitly denied a read of: AWS would return it (it
    # authorizes the path only); keyward's rule is that an explicit deny always wins.
    keys = make_principal(
        f"pathreader-{uuid.uuid4().hex[:8]}",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ssm:GetParametersByPath", "ssm:GetParameter"],
                    "Resource": "arn:aws:ssm:*:*:parameter/myapp/prod*",
                },
                {
                    "Effect": "Deny",
                    "Action": "ssm:GetParameter",
                    "Resource": "arn:aws:ssm:*:*:parameter/myapp/prod/stripe_secret_key",
                },
            ],
        },
    )
    admin = ssm_client()
    admin.put_parameter(
        Name="/myapp/prod/stripe_secret_key", Value="sk_live_example",
        Type="SecureString", Overwrite=True,
    )
    app = ssm_client(*keys)
    admin.put_parameter(Name="/myapp/prod/visible", Value="v", Type="String", Overwrite=True)
    names = {p["Name"] for p in app.get_parameters_by_path(Path="/myapp/prod")["Parameters"]}
    assert "/myapp/prod/stripe_secret_key" not in names
    assert "/myapp/prod/visible" in names
    with pytest.raises(ClientError) as e:
        app.get_parameter(Name="/myapp/prod/stripe_secret_key")
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        app.get_parameters_by_path(Path="/myapp/staging")
    assert code(e) == "AccessDeniedException"


def test_env_endpoint_is_used():
    assert os.environ.get("AWS_ENDPOINT_URL")
