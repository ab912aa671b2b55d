#!/usr/bin/env python3
"""Upload a directory to S3 under this device's own prefix, with its short-lived credentials.

    s3_upload.py [--config FILE] [--bucket NAME] [--prefix PREFIX] DIRECTORY

The bucket defaults to s3.bucket in device.json. The prefix defaults to s3.prefix, then, for an X.509 device,
things/<thingName>/ — the only prefix its role may write (IAM scopes it with ${credentials-iot:ThingName}).
A Krypton device writes under krypton/<its Cognito identity id>/, so it needs s3.prefix or --prefix.
"""

import argparse
import logging
import os

from keyless_session import KeylessError, client, config_path, keyless_session, load_device_config, run

LOG = logging.getLogger("s3_upload")


def device_prefix(device, config_file, explicit):
    prefix = explicit or (device.get("s3") or {}).get("prefix")
    if not prefix and device.get("source") == "x509":
        thing = (device.get("x509") or {}).get("thingName")
        if thing:
            prefix = "things/%s/" % thing
    if not prefix:
        raise KeylessError("no S3 prefix: pass --prefix or set s3.prefix in %s" % config_file)
    return prefix if prefix.endswith("/") else prefix + "/"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="device.json (default: $KEYLESS_CONFIG, then /etc/keyless/device.json)")
    parser.add_argument("--bucket", help="bucket name (default: s3.bucket in device.json)")
    parser.add_argument("--prefix", help="key prefix (default: s3.prefix, or things/<thingName>/ for X.509)")
    parser.add_argument("directory", help="directory to upload (recursively)")
    args = parser.parse_args()

    config_file = config_path(args.config)
    device = load_device_config(config_file)
    bucket = args.bucket or (device.get("s3") or {}).get("bucket")
    if not bucket:
        raise KeylessError("no bucket: pass --bucket or set s3.bucket in %s" % config_file)
    prefix = device_prefix(device, config_file, args.prefix)
    if not os.path.isdir(args.directory):
        raise KeylessError("%s is not a directory" % args.directory)

    s3 = client(keyless_session(config_file, device), "s3")
    uploaded = 0
    for root, dirs, files in os.walk(args.directory):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            key = prefix + os.path.relpath(path, args.directory).replace(os.sep, "/")
            s3.upload_file(path, bucket, key)
            LOG.info("uploaded s3://%s/%s (%d bytes)", bucket, key, os.path.getsize(path))
            uploaded += 1
    LOG.info("uploaded %d file(s) from %s", uploaded, args.directory)
    return 0


if __name__ == "__main__":
    run(main)
