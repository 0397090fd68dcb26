#!/usr/bin/env python3
"""Runs an AWS Secrets Manager rotation Lambda, unchanged, as a keyward `command` rotator.

keyward runs a command rotator once per rotation step with the Lambda event in
its environment (`SecretId`, `ClientRequestToken`, `Step`), a temporary access
key limited to the secret being rotated (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_REGION`) and keyward's address in
`AWS_ENDPOINT_URL` and `SECRETS_MANAGER_ENDPOINT` (which AWS's templates pass to
boto3). This shim turns that into `lambda_handler(event, context)`.

Usage: make the command keyward runs a two-line wrapper naming the Python that
has boto3 and the Lambda's file (default handler `lambda_function.lambda_handler`,
as on AWS):

    #!/bin/sh
    exec /opt/venv/bin/python /opt/keyward/keyward_lambda_shim.py /opt/rotators/lambda_function.py

then `keyward rotation set NAME --rotator command --command /opt/rotators/rotate`
or map the Lambda's ARN in the server config:

    [rotation.lambdas."arn:aws:lambda:us-east-1:123456789012:function:rotate-db"]
    rotator = "command"
    command = "/opt/rotators/rotate"

An optional second argument names another handler function. Exit status 0
completes the step; an exception (printed to stderr, which keyward discards)
fails it, and keyward retries the step with backoff.
"""

import importlib.util
import os
import sys


class Context:
    """The parts of a Lambda context object rotation functions use."""

    function_name = "keyward-command-rotator"
    function_version = "$LATEST"
    invoked_function_arn = ""
    memory_limit_in_mb = 128
    aws_request_id = ""
    log_group_name = ""
    log_stream_name = ""

    @staticmethod
    def get_remaining_time_in_millis():
        return 300_000


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: keyward_lambda_shim.py LAMBDA_FILE.py [HANDLER_FUNCTION]")
    path, handler = argv[1], (argv[2] if len(argv) > 2 else "lambda_handler")
    missing = [k for k in ("SecretId", "ClientRequestToken", "Step") if not os.environ.get(k)]
    if missing:
        sys.exit(f"not run by keyward: {', '.join(missing)} missing from the environment")
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location("lambda_function", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    event = {k: os.environ[k] for k in ("SecretId", "ClientRequestToken", "Step")}
    Context.aws_request_id = event["ClientRequestToken"]
    getattr(module, handler)(event, Context())


if __name__ == "__main__":
    main(sys.argv)
