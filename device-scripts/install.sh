#!/bin/sh
# install.sh — installs an unpacked keyless-iot device bundle (made by `npx keyless bundle`) on this device,
# then fetches credentials once to prove the device can get them. Run as root from the bundle directory:
#
#   sh install.sh [--key FILE] [--user NAME] [--skip-check]
#
#   --key FILE     the private key this device made its CSR with (bundles built with --key-on-device carry
#                  no key); not needed when the bundle has one or a previous install put one in place
#   --user NAME    service user that owns the key, the certificate and the credential cache (default keyless;
#                  created when absent)
#   --skip-check   do not fetch credentials at the end (e.g. installing an image offline)
#
# Installs /opt/keyless/{bin,certs,examples}, /etc/keyless/device.json, the AWS CLI profile
# /etc/keyless/aws-config, /usr/local/bin/keyless-credentials and the cache directory /var/cache/keyless.
# Safe to re-run: every file is replaced atomically and nothing else is touched.
#
# Integrity: check the .tar.gz against the SHA-256 `keyless bundle` printed before unpacking it (that is
# what tells a changed archive from a good one). This script then installs only the files SHA256SUMS lists,
# each with the digest it lists; a bundle without SHA256SUMS, with a file it does not list, or with a link
# in it, is refused before anything is installed.
#
# Root never creates, opens or removes anything inside a directory the service user owns (the cache): the
# credentials check runs as the service user and its stderr goes to a root-owned file in $TMPDIR.
#
# KEYLESS_ROOT=DIR installs under DIR instead of / (tests, image building). Users are then neither created nor
# given ownership (that would change the machine running the install, not the image), and neither are they
# when not running as root: files stay owned by whoever runs the script, and the script says so.
#
# Layout: the constants, then every function, then main — the path an install takes — and `main "$@"` as the
# last line, as in keyless-credentials.

NL='
'

say() { printf 'keyless install: %s\n' "$*"; }
fail() {
  printf 'keyless install: %s\n' "$*" >&2
  exit 1
}

# parse_args ARG… — $key_source, $user and $check; --help prints the header above.
parse_args() {
  key_source=''
  user=${KEYLESS_USER:-keyless}
  check=1
  while [ $# -gt 0 ]; do
    case $1 in
      --key)
        [ $# -ge 2 ] || fail "--key needs a file argument"
        key_source=$2
        shift 2
        ;;
      --key=*)
        key_source=${1#--key=}
        shift
        ;;
      --user)
        [ $# -ge 2 ] || fail "--user needs a name"
        user=$2
        shift 2
        ;;
      --user=*)
        user=${1#--user=}
        shift
        ;;
      --skip-check)
        check=0
        shift
        ;;
      -h | --help)
        sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
      *) fail "unknown argument '$1' (usage: sh install.sh [--key FILE] [--user NAME] [--skip-check])" ;;
    esac
  done
  case $user in
    '' | -* | *[!A-Za-z0-9._-]*) fail "--user must be a plain user name, got '$user'" ;;
  esac
}

# read_root — $root: KEYLESS_ROOT without its trailing /, checked; and the directories the install writes under it.
read_root() {
  root=${KEYLESS_ROOT:-}
  root=${root%/}
  case $root in
    *[!A-Za-z0-9._/-]*) fail "KEYLESS_ROOT may only contain letters, digits and . _ / -, got '$root'" ;;
  esac
  if [ -n "$root" ]; then
    case $root in /*) ;; *) fail "KEYLESS_ROOT must be an absolute path, got '$root'" ;; esac
  fi
  prefix=$root/opt/keyless
  etc=$root/etc/keyless
  cache=$root/var/cache/keyless
}

# find_bundle — $bundle: the directory install.sh is in, an unpacked bundle; and the tools the helper needs.
find_bundle() {
  bundle=$(cd "$(dirname "$0")" && pwd) || fail "cannot find the bundle directory"
  [ -f "$bundle/device.json" ] || fail "no device.json next to install.sh: run it from an unpacked bundle"

  for tool in jq curl flock; do
    command -v "$tool" >/dev/null 2>&1 ||
      fail "$tool is not installed; keyless-credentials needs curl, jq and flock (Debian: apt-get install curl jq util-linux)"
  done
}

# --- Integrity: every file this script installs is listed in SHA256SUMS with its digest, and nothing else is
# in the bundle. A digest tool is required: installing unchecked files as root is not a fallback.

# choose_digest — $digest_tool: sha256sum, busybox or openssl, the first installed.
choose_digest() {
  if command -v sha256sum >/dev/null 2>&1; then
    digest_tool=sha256sum
  elif command -v busybox >/dev/null 2>&1 && busybox sha256sum </dev/null >/dev/null 2>&1; then
    digest_tool=busybox
  elif command -v openssl >/dev/null 2>&1; then
    digest_tool=openssl
  else
    fail "cannot check the bundle against SHA256SUMS: none of sha256sum (coreutils), busybox or openssl is installed; install one (Debian: apt-get install coreutils) and run install.sh again"
  fi
}

# digest FILE — its SHA-256, in hex.
digest() {
  case $digest_tool in
    sha256sum) sha256sum "$1" | { read -r d _ && printf '%s' "$d"; } ;;
    busybox) busybox sha256sum "$1" | { read -r d _ && printf '%s' "$d"; } ;;
    openssl) openssl dgst -sha256 -r "$1" | { read -r d _ && printf '%s' "$d"; } ;;
  esac
}

# check_sums — every file SHA256SUMS lists is in the bundle with its digest; $listed: their paths, one a line.
check_sums() {
  sums=$bundle/SHA256SUMS
  if [ -h "$sums" ] || [ ! -f "$sums" ]; then
    fail "no SHA256SUMS in $bundle: this is not an unpacked keyless bundle, or it lost a file; unpack the .tar.gz again"
  fi
  choose_digest
  listed=$NL
  while IFS= read -r line || [ -n "$line" ]; do
    hash=${line%%  *}
    path=${line#*  }
    case $hash in *[!0-9a-f]* | '') hash=bad ;; esac
    case $path in '' | /* | -* | */-* | *..* | *[!A-Za-z0-9._/-]*) hash=bad ;; esac
    [ "${#hash}" -eq 64 ] || fail "SHA256SUMS line '$line' is not '<sha-256>  <relative path>': the bundle was changed; copy the .tar.gz again"
    if [ -h "$bundle/$path" ] || [ ! -f "$bundle/$path" ]; then
      fail "SHA256SUMS lists $path, which is missing or not a regular file: copy the .tar.gz again"
    fi
    [ "$(digest "$bundle/$path")" = "$hash" ] ||
      fail "the bundle does not match its SHA256SUMS ($path): it was damaged or changed in transit; copy the .tar.gz again"
    listed=$listed$path$NL
  done <"$sums"
}

is_listed() { case $listed in *"$NL$1$NL"*) return 0 ;; *) return 1 ;; esac; }

# refuse_extras — anything else in the bundle directory means it was changed after `keyless bundle` wrote it:
# say what. Then the files every bundle has.
refuse_extras() {
  extras=$(cd "$bundle" && find . ! -type d ! -name SHA256SUMS -print) || fail "cannot list the files of $bundle"
  old_ifs=$IFS
  IFS=$NL
  for entry in $extras; do
    entry=${entry#./}
    if [ -h "$bundle/$entry" ] || [ ! -f "$bundle/$entry" ]; then
      fail "$bundle/$entry is not a regular file: a bundle holds only files; unpack the .tar.gz again"
    fi
    is_listed "$entry" ||
      fail "$bundle/$entry is not listed in SHA256SUMS: it was added after the bundle was made; remove it or unpack the .tar.gz again"
  done
  IFS=$old_ifs
  for required in install.sh device.json aws-config bin/keyless-credentials; do
    is_listed "$required" || fail "the bundle has no $required (not in SHA256SUMS): copy the .tar.gz again"
  done
}

# read_source — $source: x509 or krypton, from the bundle's device.json.
read_source() {
  source=$(jq -r '.source // empty' "$bundle/device.json") || fail "$bundle/device.json is not valid JSON"
  case $source in
    x509 | krypton) ;;
    *) fail "$bundle/device.json: source must be x509 or krypton, got '$source'" ;;
  esac
}

# check_token — $key_in_token: x509.keyFile when it is a pkcs11: URI. The key never leaves the token, so no key
# file is installed, and the module (and PIN file) the helper will use must be on this device.
check_token() {
  key_in_token=''
  if [ "$source" = x509 ]; then
    key_in_token=$(jq -r '.x509.keyFile // "" | select(startswith("pkcs11:"))' "$bundle/device.json") ||
      fail "$bundle/device.json is not valid JSON"
  fi
  if [ -n "$key_in_token" ]; then
    [ -z "$key_source" ] || fail "this device keeps its key in a PKCS#11 token ($key_in_token): --key does not apply; leave it out"
    p11_module=$(jq -r '.x509.pkcs11Module // ""' "$bundle/device.json") || p11_module=''
    if [ -n "$p11_module" ]; then
      [ -f "$p11_module" ] ||
        fail "the PKCS#11 module $p11_module (x509.pkcs11Module) does not exist on this device: install the package that provides it (SoftHSM2: softhsm2; a TPM: libtpm2-pkcs11-1; a secure element: its vendor's), or fix the path in the config"
    else
      found_proxy=''
      for m in /usr/lib/*/p11-kit-proxy.so /usr/lib64/p11-kit-proxy.so /usr/lib/p11-kit-proxy.so; do
        if [ -e "$m" ]; then found_proxy=$m; fi
      done
      [ -n "$found_proxy" ] ||
        fail "device.json names no PKCS#11 module and the p11-kit proxy is not installed (Debian: apt-get install p11-kit-modules)"
    fi
    pin_file=$(jq -r '.x509.pinFile // ""' "$bundle/device.json") || pin_file=''
    if [ -n "$pin_file" ] && [ ! -f "$pin_file" ]; then
      fail "the PIN file $pin_file (x509.pinFile) does not exist: write the token's user PIN into it, readable only by the service user (docs/keys-in-hardware.md)"
    fi
  fi
}

# decide_owner — $manage_owner: 1 only on a real install as root; see the header for why.
decide_owner() {
  manage_owner=0
  if [ -n "$root" ]; then
    say "KEYLESS_ROOT is set: installing under $root without creating users or changing owners"
  elif [ "$(id -u)" -ne 0 ]; then
    say "not running as root: files stay owned by $(id -un); no service user is created"
  else
    manage_owner=1
  fi
}

# create_user — the service user, when owners are managed and it does not exist yet.
create_user() {
  if [ "$manage_owner" = 1 ] && ! id "$user" >/dev/null 2>&1; then
    if command -v useradd >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
        fail "cannot create service user $user"
    elif command -v adduser >/dev/null 2>&1; then
      adduser -S -D -H -h /nonexistent -s /sbin/nologin "$user" || fail "cannot create service user $user"
    else
      fail "service user $user does not exist and neither useradd nor adduser is available: create it, or pass --user"
    fi
    say "created service user $user"
  fi
}

# put SRC DEST MODE [OWNER] — copy through a temporary file in DEST's directory (root's own directories
# only), so a re-run or a power cut never leaves a half-written file in place. The copy is made under umask
# 077, so a key is never readable by others, not even between the copy and the chmod.
put() {
  tmp=$2.tmp.$$
  rm -f "$tmp"
  (umask 077 && cp "$1" "$tmp") || fail "cannot write $2"
  chmod "$3" "$tmp"
  if [ "${4:-}" != '' ] && [ "$manage_owner" = 1 ]; then chown "$4" "$tmp" || fail "cannot give $2 to $4"; fi
  mv -f "$tmp" "$2" || fail "cannot replace $2"
}

# install_helper — the directories, the helper, the examples SHA256SUMS lists and the link in /usr/local/bin.
install_helper() {
  mkdir -p "$prefix/bin" "$prefix/certs" "$prefix/examples" "$etc" "$cache" || fail "cannot create directories under ${root:-/}"
  chmod 0755 "$prefix" "$prefix/bin" "$prefix/certs" "$prefix/examples" "$etc"
  chmod 0700 "$cache"
  [ "$manage_owner" = 0 ] || chown "$user" "$cache" || fail "cannot give $cache to $user"

  put "$bundle/bin/keyless-credentials" "$prefix/bin/keyless-credentials" 0755
  # Only the examples SHA256SUMS lists (the bundle was checked above to hold nothing else).
  examples=$(printf '%s' "$listed" | grep '^examples/[A-Za-z0-9._-]*$') || examples=''
  for example in $examples; do
    mode=0644
    [ -x "$bundle/$example" ] && mode=0755
    put "$bundle/$example" "$prefix/$example" "$mode"
  done
  mkdir -p "$root/usr/local/bin"
  ln -sf "$prefix/bin/keyless-credentials" "$root/usr/local/bin/keyless-credentials"
}

# install_certificate_and_key — X.509: the Root CA, the certificate and the key (from the bundle, --key, or an
# earlier install; none for a key in a token), checked to be a pair.
install_certificate_and_key() {
  for required in certs/AmazonRootCA1.pem certs/certificate.pem.crt; do
    is_listed "$required" || fail "this X.509 bundle has no $required (not in SHA256SUMS): copy the .tar.gz again"
  done
  put "$bundle/certs/AmazonRootCA1.pem" "$prefix/certs/AmazonRootCA1.pem" 0644
  put "$bundle/certs/certificate.pem.crt" "$prefix/certs/certificate.pem.crt" 0600 "$user"
  key=$prefix/certs/private.pem.key
  if [ -n "$key_in_token" ]; then
    is_listed certs/private.pem.key && fail "this bundle names a key in a PKCS#11 token and also carries a key file: it was not made by keyless bundle; make it again"
    say "the private key stays in its PKCS#11 token ($key_in_token): no key file installed"
    if [ -f "$key" ]; then say "note: $key is left from an earlier install with a key file; remove it once the token works (shred -u $key)"; fi
  elif is_listed certs/private.pem.key; then
    put "$bundle/certs/private.pem.key" "$key" 0600 "$user"
  elif [ -n "$key_source" ]; then
    [ -r "$key_source" ] || fail "--key $key_source is not a readable file"
    put "$key_source" "$key" 0600 "$user"
  elif [ -f "$key" ]; then
    say "keeping the private key already installed at $key"
  else
    fail "this bundle has no private key (the device made its own CSR): pass --key FILE with the key the CSR was made from"
  fi
  # A key from another CSR fails much later at the TLS handshake; compare public keys now when we can (for a key
  # in a token, the helper's check below signs with it).
  if [ -z "$key_in_token" ] && command -v openssl >/dev/null 2>&1; then
    cert_pub=$(openssl x509 -in "$prefix/certs/certificate.pem.crt" -noout -pubkey 2>/dev/null) || cert_pub=''
    key_pub=$(openssl pkey -in "$key" -pubout 2>/dev/null) || key_pub=''
    if [ -z "$cert_pub" ] || [ "$cert_pub" != "$key_pub" ]; then
      fail "the private key at $key does not belong to this bundle's certificate"
    fi
  fi
}

# install_config — device.json and the profile name absolute paths under /; they move under KEYLESS_ROOT when it
# is set.
install_config() {
  tmp_config=$etc/device.json.tmp.$$
  # shellcheck disable=SC2016 # $r is a jq variable
  jq --arg r "$root" '
    .cacheDir |= (if . then $r + . else . end)
    | if .x509 then .x509 |= (.certFile = $r + .certFile
                             | if .keyFile | startswith("pkcs11:") then . else .keyFile = $r + .keyFile end
                             | if .caFile then .caFile = $r + .caFile else . end)
      else . end' "$bundle/device.json" >"$tmp_config" || fail "cannot write $etc/device.json"
  chmod 0644 "$tmp_config"
  mv -f "$tmp_config" "$etc/device.json"

  tmp_profile=$etc/aws-config.tmp.$$
  sed -e "s#/opt/keyless#$prefix#g" -e "s#/etc/keyless#$etc#g" "$bundle/aws-config" >"$tmp_profile" ||
    fail "cannot write $etc/aws-config"
  chmod 0644 "$tmp_profile"
  mv -f "$tmp_profile" "$etc/aws-config"

  say "installed the helper in $prefix, the configuration in $etc/device.json and the AWS CLI profile in $etc/aws-config"
}

# fetch_once — the helper run once as the service user, so the cache it writes is the one it will use: $status,
# $cause (the first line of its stderr) and $answer (the credentials, never printed).
fetch_once() {
  helper=$prefix/bin/keyless-credentials
  # The helper's stderr goes to a root-owned file outside the cache: root never creates or removes anything in
  # a directory the service user owns (a link planted there would redirect root's write).
  errors=$(mktemp "${TMPDIR:-/tmp}/keyless-install.XXXXXX") || fail "cannot create a temporary file in ${TMPDIR:-/tmp}"
  trap 'rm -f "$errors"' EXIT
  # Run as the service user so the cache it writes is the one it will use; stdout (credentials) stays in a
  # variable and is never printed.
  set +e
  if [ "$manage_owner" = 1 ]; then
    if command -v runuser >/dev/null 2>&1; then
      answer=$(runuser -u "$user" -- "$helper" --config "$etc/device.json" --force-refresh 2>"$errors")
    else
      # shellcheck disable=SC2016 # $0 and $1 expand in the service user's shell, not here
      answer=$(su -s /bin/sh -c '"$0" --config "$1" --force-refresh' "$user" "$helper" "$etc/device.json" 2>"$errors")
    fi
  else
    answer=$("$helper" --config "$etc/device.json" --force-refresh 2>"$errors")
  fi
  status=$?
  set -e
  cause=$(head -n 1 "$errors" 2>/dev/null) || cause=''
  rm -f "$errors"
}

# report_check — what the check proved, and how to use it; or the cause, and how to look at every step (exit 1).
report_check() {
  if [ "$status" -eq 0 ]; then
    expiration=$(printf '%s' "$answer" | jq -r '.Expiration // empty' 2>/dev/null) || expiration=''
    answer=''
    say "OK: this device got short-lived AWS credentials (valid until ${expiration:-unknown})"
    if [ "$manage_owner" = 1 ]; then
      # The cache belongs to the service user, and the helper refuses to run as root against it.
      say "try: runuser -u $user -- env AWS_CONFIG_FILE=$etc/aws-config aws --profile keyless sts get-caller-identity"
    else
      say "try: AWS_CONFIG_FILE=$etc/aws-config aws --profile keyless sts get-caller-identity"
    fi
    exit 0
  fi
  answer=''
  case $status in
    3) kind='the configuration is wrong' ;;
    4) kind='the request was refused' ;;
    5) kind='the endpoint could not be reached' ;;
    6) kind='the answer was unusable' ;;
    7) kind='a local problem (tools, cache directory)' ;;
    *) kind="the helper failed with exit code $status" ;;
  esac
  # --check goes through every step the fetch depends on and names the first that fails.
  if [ "$manage_owner" = 1 ]; then
    say "every step, one by one: runuser -u $user -- $helper --config $etc/device.json --check"
  else
    say "every step, one by one: $helper --config $etc/device.json --check"
  fi
  fail "installed, but no credentials yet: $kind: ${cause#keyless-credentials: } (fix it and run install.sh again)"
}

main() {
  set -eu
  umask 022
  parse_args "$@"
  read_root
  find_bundle
  check_sums
  refuse_extras
  read_source
  check_token
  decide_owner
  create_user
  install_helper
  if [ "$source" = x509 ]; then install_certificate_and_key; fi
  install_config
  [ "$check" = 1 ] || {
    say "skipping the credentials check (--skip-check)"
    exit 0
  }
  fetch_once
  report_check
}

main "$@"
