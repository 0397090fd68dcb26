"""A rotation Lambda for a third-party API key, written the way AWS's published
templates (SecretsManagerRotationTemplate) are: the four steps through
describe_secret, get_secret_value with VersionStage/VersionId,
get_random_password, put_secret_value(VersionStages=['AWSPENDING']) and
update_secret_version_stage. Nothing in it knows about keyward.

The "provider" is a JSON file named in the secret (`provider_file`) holding the
accepted keys and an admin token: setSecret registers the new key there with the
admin token it reads from the secret the value's `masterarn` names (as AWS's
alternating-users templates read their master secret), after checking that the
current or previous key (AWSPREVIOUS, which a first rotation does not have:
ResourceNotFoundException) is still accepted, as the single-user templates log in
with either; testSecret checks the new key, finishSecret revokes keys older than
the previous one. Passwords come from get_random_password with the templates'
parameters.
"""

import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]

    service_client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])

    metadata = service_client.describe_secret(SecretId=arn)
    if "RotationEnabled" in metadata and not metadata["RotationEnabled"]:
        logger.error("Secret %s is not enabled for rotation" % arn)
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        logger.error("Secret version %s has no stage for rotation of secret %s." % (token, arn))
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        logger.info("Secret version %s already set as AWSCURRENT for secret %s." % (token, arn))
        return
    elif "AWSPENDING" not in versions[token]:
        logger.error("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))

    if step == "createSecret":
        create_secret(service_client, arn, token)
    elif step == "setSecret":
        set_secret(service_client, arn, token)
    elif step == "testSecret":
        test_secret(service_client, arn, token)
    elif step == "finishSecret":
        finish_secret(service_client, arn, token)
    else:
        raise ValueError("Invalid step parameter")


def create_secret(service_client, arn, token):
    current = json.loads(service_client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
    try:
        service_client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        logger.info("createSecret: Successfully retrieved secret for %s." % arn)
    except service_client.exceptions.ResourceNotFoundException:
        passwd = service_client.get_random_password(
            ExcludeCharacters=os.environ.get("EXCLUDE_CHARACTERS", ":/@\"'\\"),
            PasswordLength=40,
            ExcludeNumbers=False,
            ExcludePunctuation=True,
            ExcludeUppercase=False,
            ExcludeLowercase=False,
            RequireEachIncludedType=True,
        )
        current["previous_key"] = current["api_key"]
        current["api_key"] = passwd["RandomPassword"]
        service_client.put_secret_value(
            SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current), VersionStages=["AWSPENDING"]
        )
        logger.info("createSecret: Successfully put secret for ARN %s and version %s." % (arn, token))


def _stage(service_client, arn, stage):
    try:
        return json.loads(service_client.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"])
    except service_client.exceptions.ResourceNotFoundException:
        return None


def _pending(service_client, arn, token):
    return json.loads(
        service_client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    )


def _provider(secret):
    with open(secret["provider_file"]) as f:
        return json.load(f)


def _save(secret, provider):
    with open(secret["provider_file"], "w") as f:
        json.dump(provider, f)


def set_secret(service_client, arn, token):
    previous = _stage(service_client, arn, "AWSPREVIOUS")
    current = _stage(service_client, arn, "AWSCURRENT")
    pending = _pending(service_client, arn, token)
    provider = _provider(pending)
    if pending["api_key"] in provider["keys"]:
        logger.info("setSecret: the pending key is already accepted for %s." % arn)
        return
    if not any(s and s["api_key"] in provider["keys"] for s in (current, previous)):
        raise ValueError("setSecret: neither the current nor the previous key is accepted for %s" % arn)
    master = json.loads(service_client.get_secret_value(SecretId=current["masterarn"], VersionStage="AWSCURRENT")["SecretString"])
    if master["admin_token"] != provider["admin_token"]:
        raise ValueError("setSecret: the master secret's admin token is refused")
    provider["keys"].append(pending["api_key"])
    _save(pending, provider)


def test_secret(service_client, arn, token):
    pending = _pending(service_client, arn, token)
    if pending["api_key"] not in _provider(pending)["keys"]:
        raise ValueError("testSecret: the provider does not accept the pending key")


def finish_secret(service_client, arn, token):
    metadata = service_client.describe_secret(SecretId=arn)
    current_version = None
    for version in metadata["VersionIdsToStages"]:
        if "AWSCURRENT" in metadata["VersionIdsToStages"][version]:
            if version == token:
                logger.info("finishSecret: Version %s already marked as AWSCURRENT for %s" % (version, arn))
                return
            current_version = version
            break
    service_client.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current_version
    )
    # Two keys stay valid (the new one and the one it replaced); older ones go.
    pending = _pending(service_client, arn, token)
    provider = _provider(pending)
    provider["keys"] = [k for k in provider["keys"] if k in (pending["api_key"], pending.get("previous_key"))]
    _save(pending, provider)
    logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s." % (token, arn))
