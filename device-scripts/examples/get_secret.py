#!/usr/bin/env python3
"""Read this device's secret from AWS Secrets Manager, with its short-lived credentials.

    get_secret.py [--config FILE] [--secret-id ID] [--output FILE]

The secret id defaults to secretsManager.secretId in device.json, then, for an X.509 device,
devices/<thingName> — the only secret its role may read. The value goes to stdout, or to FILE (mode 0600);
the log says which secret and version were read, never the value.
"""

import argparse
import logging
import os
import sys

from keyless_session import KeylessError, client, config_path, keyless_session, load_device_config, run

LOG = logging.getLogger("get_secret")


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
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(value)
    else:
        sys.stdout.write(value)
        sys.stdout.flush()
    LOG.info("read secret %s (version %s, %d characters)", answer.get("Name", secret_id), answer.get("VersionId"), len(value))
    return 0


if __name__ == "__main__":
    run(main)
