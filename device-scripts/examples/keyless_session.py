"""A boto3 session whose credentials come from keyless-credentials, for the examples next to this file.

The helper keeps its own cache, so creating a session is cheap; botocore's RefreshableCredentials calls it
again shortly before the credentials expire, so a long-running program never holds expired credentials.
"""

import json
import logging
import os
import shutil
import subprocess
import sys

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials

DEFAULT_CONFIG = "/etc/keyless/device.json"
LOG = logging.getLogger("keyless")


class KeylessError(Exception):
    """A failure the user can act on; its message never contains a secret."""


def setup_logging():
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # botocore's debug output includes request headers (signatures, session token): keep it quiet.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("boto3").setLevel(logging.WARNING)


def config_path(cli_value=None):
    return cli_value or os.environ.get("KEYLESS_CONFIG") or DEFAULT_CONFIG


def load_device_config(path):
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except FileNotFoundError:
        raise KeylessError("config file %s not found (pass --config FILE or set KEYLESS_CONFIG)" % path)
    except ValueError as e:
        raise KeylessError("%s is not valid JSON (%s)" % (path, e))
    except OSError as e:
        raise KeylessError("cannot read %s: %s" % (path, e.strerror))
    if not isinstance(config, dict):
        raise KeylessError("%s: the top level must be a JSON object" % path)
    if not isinstance(config.get("region"), str) or not config["region"]:
        raise KeylessError("%s: region is missing" % path)
    return config


def helper_path():
    """$KEYLESS_CREDENTIALS, else the helper shipped next to these examples, else the one on PATH."""
    explicit = os.environ.get("KEYLESS_CREDENTIALS")
    if explicit:
        return explicit
    bundled = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin", "keyless-credentials")
    if os.access(bundled, os.X_OK):
        return os.path.normpath(bundled)
    on_path = shutil.which("keyless-credentials")
    if on_path:
        return on_path
    raise KeylessError("keyless-credentials not found (install it on PATH or set KEYLESS_CREDENTIALS)")


def _credential_fetcher(helper, config_file):
    def fetch():
        try:
            result = subprocess.run(
                [helper, "--config", config_file],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                universal_newlines=True,
                timeout=300,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise KeylessError("could not run %s: %s" % (helper, e))
        if result.returncode != 0:
            # The helper's stderr is one line naming the cause, and never holds a secret.
            cause = result.stderr.strip() or "exit status %d" % result.returncode
            raise KeylessError(cause)
        try:
            data = json.loads(result.stdout)
            return {
                "access_key": data["AccessKeyId"],
                "secret_key": data["SecretAccessKey"],
                "token": data["SessionToken"],
                "expiry_time": data["Expiration"],
            }
        except (ValueError, KeyError, TypeError):
            raise KeylessError("keyless-credentials printed something that is not credential_process JSON")

    return fetch


def keyless_session(config_file, device_config):
    """A boto3.Session for this device, refreshing its credentials through keyless-credentials."""
    fetch = _credential_fetcher(helper_path(), config_file)
    credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="keyless-credentials"
    )
    core = botocore.session.get_session()
    core._credentials = credentials  # the documented way to hand botocore a custom provider's result
    core.set_config_variable("region", device_config["region"])
    return boto3.Session(botocore_session=core)


def client(session, service):
    """A client that honours AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL (older boto3 releases ignore them)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_" + service.upper()) or os.environ.get("AWS_ENDPOINT_URL")
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    if endpoint and service == "s3":
        # Local stand-ins (s3rver) serve buckets by path only.
        config = config.merge(Config(s3={"addressing_style": "path"}))
    return session.client(service, endpoint_url=endpoint or None, config=config)


def run(main):
    """Runs main(), turning every expected failure into one logged line and exit status 1."""
    from botocore.exceptions import BotoCoreError, ClientError

    setup_logging()
    try:
        sys.exit(main())
    except KeylessError as e:
        LOG.error("%s", e)
    except ClientError as e:
        error = e.response.get("Error", {})
        LOG.error("%s failed: %s: %s", e.operation_name, error.get("Code"), error.get("Message"))
    except BotoCoreError as e:
        LOG.error("%s", e)
    sys.exit(1)
