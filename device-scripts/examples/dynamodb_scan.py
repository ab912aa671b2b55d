#!/usr/bin/env python3
"""Scan a DynamoDB table with this device's short-lived credentials (a Krypton device reading the reference table).

    dynamodb_scan.py [--config FILE] [--table NAME]

The table defaults to dynamodb.tableName in device.json. Items are printed to stdout as JSON lines; the log
(stderr) says what was read, never with credentials.
"""

import argparse
import json
import logging
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer

from keyless_session import KeylessError, client, config_path, keyless_session, load_device_config, run

LOG = logging.getLogger("dynamodb_scan")


def _json_default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError("cannot encode %r" % type(value))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="device.json (default: $KEYLESS_CONFIG, then /etc/keyless/device.json)")
    parser.add_argument("--table", help="table name (default: dynamodb.tableName in device.json)")
    args = parser.parse_args()

    config_file = config_path(args.config)
    device = load_device_config(config_file)
    table = args.table or (device.get("dynamodb") or {}).get("tableName")
    if not table:
        raise KeylessError("no table: pass --table or set dynamodb.tableName in %s" % config_file)

    dynamodb = client(keyless_session(config_file, device), "dynamodb")
    deserializer = TypeDeserializer()
    count = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page.get("Items", []):
            plain = {key: deserializer.deserialize(value) for key, value in item.items()}
            print(json.dumps(plain, default=_json_default, sort_keys=True))
            count += 1
    LOG.info("scanned %s: %d item(s)", table, count)
    return 0


if __name__ == "__main__":
    run(main)
