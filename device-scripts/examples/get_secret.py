#!/usr/bin/env python3
"""Read this device's secret from AWS Secrets Manager, with its short-lived credentials.

    get_secret.py [--config FILE] [--secret-id ID] [--output FILE]

The secret id defaults to secretsManager.secretId in device.json, then, for an X.509 device,
devices/<thingName> — the only secret its role may read. The value goes to stdout, or to FILE: always mode
0600, written atomically (a reader sees the old value or the new one), and never through a link or into a
file someone else prepared at that name. The log says which secret and version were read, never the value.
"""

import argparse
import logging
import os
import sys
import tempfile

from keyless_session import KeylessError, client, config_path, keyless_session, load_device_config, run

LOG = logging.getLogger("get_secret")


def write_private(path, value):
    """Writes `value` to `path`, mode 0600, atomically.

    The value goes to a fresh temporary file next to `path` (mkstemp: created exclusively, mode 0600, so no
    planted name or link can redirect it), then replaces `path` by rename, which swaps the name itself: an
    existing file keeps neither its mode nor its contents, and a link at `path` is replaced, not followed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    except OSError as e:
        raise KeylessError("cannot write %s: %s" % (path, e.strerror))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(value)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except OSError as e:
        _remove_quietly(temporary)
        raise KeylessError("cannot write %s: %s" % (path, e.strerror))
    except BaseException:
        _remove_quietly(temporary)
        raise


def _remove_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="device.json (default: $KEYLESS_CONFIG, then /etc/keyless/device.json)")
    parser.add_argument("--secret-id", help="secret name or ARN (default: secretsManager.secretId, or devices/<thingName>)")
    parser.add_argument("--output", help="write the value to this file (mode 0600) instead of stdout")
    args = parser.parse_args()

    config_file = config_path(args.config)
    device = load_device_config(config_file)
    secret_id = args.secret_id or (device.get("secretsManager") or {}).get("secretId")
    if not secret_id and device.get("source") == "x509" and (device.get("x509") or {}).get("thingName"):
        secret_id = "devices/%s" % device["x509"]["thingName"]
    if not secret_id:
        raise KeylessError("no secret id: pass --secret-id or set secretsManager.secretId in %s" % config_file)

    answer = client(keyless_session(config_file, device), "secretsmanager").get_secret_value(SecretId=secret_id)
    value = answer.get("SecretString")
    if value is None:
        raise KeylessError("secret %s holds binary data; this example reads SecretString only" % secret_id)
    if args.output:
        write_private(args.output, value)
    else:
        sys.stdout.write(value)
        sys.stdout.flush()
    LOG.info("read secret %s (version %s, %d characters)", answer.get("Name", secret_id), answer.get("VersionId"), len(value))
    return 0


if __name__ == "__main__":
    run(main)
