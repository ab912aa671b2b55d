#!/bin/sh
# Installs, when missing, the Debian tools the device-side tests drive as real clients.
# Idempotent and quick when everything is present; fails naming the tool it could not install.
set -eu

# Each entry: "<check>|<debian package>"; a check is a command path, py:<module> for /usr/bin/python3, file:<path>
# for a library, or engine:<id> for an OpenSSL engine `openssl engine -t` loads.
TOOLS='/usr/bin/aws|awscli
jq|jq
curl|curl
shellcheck|shellcheck
dash|dash
busybox|busybox
flock|util-linux
runuser|util-linux
unshare|util-linux
openssl|openssl
faketime|faketime
strace|strace
py:boto3|python3-boto3
softhsm2-util|softhsm2
file:/usr/lib/softhsm/libsofthsm2.so|softhsm2
pkcs11-tool|opensc
engine:pkcs11|libengine-pkcs11-openssl'

present() {
  case "$1" in
    py:*) [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import ${1#py:}" >/dev/null 2>&1 ;;
    file:*) [ -e "${1#file:}" ] ;;
    engine:*) command -v openssl >/dev/null 2>&1 && openssl engine -t "${1#engine:}" >/dev/null 2>&1 ;;
    /*) [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing=''
missing_checks=''
old_ifs=$IFS
IFS='
'
for entry in $TOOLS; do
  check=${entry%%|*}
  pkg=${entry#*|}
  if ! present "$check"; then
    missing="$missing $pkg"
    missing_checks="$missing_checks $check"
  fi
done
IFS=$old_ifs

# npm test servers come from devDependencies (npm ci), not apt: name them when absent rather than skip.
root=$(cd "$(dirname "$0")/.." && pwd)
for module in s3rver dynalite; do
  if [ ! -f "$root/node_modules/$module/package.json" ]; then
    echo "ensure-test-tools: npm package $module is missing: run 'npm ci'" >&2
    exit 1
  fi
done

[ -z "$missing" ] && exit 0

echo "ensure-test-tools: installing$missing (missing:$missing_checks)" >&2
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO='sudo -n'; else
    echo "ensure-test-tools: missing$missing_checks and not root (no sudo) to install$missing" >&2
    exit 1
  fi
else
  SUDO=''
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # $SUDO and $missing are deliberately split into words
$SUDO apt-get update -qq >/dev/null || echo "ensure-test-tools: apt-get update failed; trying the cached lists" >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || true

failed=''
IFS='
'
for entry in $TOOLS; do
  check=${entry%%|*}
  pkg=${entry#*|}
  present "$check" || failed="$failed $pkg($check)"
done
IFS=$old_ifs
if [ -n "$failed" ]; then
  echo "ensure-test-tools: could not install:$failed" >&2
  exit 1
fi
