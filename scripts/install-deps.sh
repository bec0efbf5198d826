#!/usr/bin/env bash
# Installs every Debian package lifeboat needs to build, test and benchmark, then the
# npm test peers pinned in tests/harness/npm/package-lock.json (the S3 server s3rver).
# Idempotent: asks dpkg what is missing and installs only that, and runs `npm ci` only
# when node_modules is missing or older than the lock file, so a second run is a no-op
# that takes well under a second. Runs as root, or through sudo.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries (DESIGN.md, Dependencies)
  libsqlite3-dev libpq-dev libzstd-dev zlib1g-dev libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libtomlplusplus-dev libexpected-dev
  libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # the libFuzzer build (make fuzz): clang 16 and its fuzzer runtime
  clang-16 libclang-rt-16-dev
  # tools the tests and the by-hand recovery use
  sqlite3 zstd gzip coreutils time procps util-linux python3 tzdata curl
  postgresql-15 postgresql-client age
  # the S3 backend parses S3's XML with expat; its tests drive Debian's aws CLI
  # against s3rver, which runs on Node.js (tests/harness/npm/README.md)
  libexpat1-dev awscli nodejs
  # alerts and health: a real SMTP server with AUTH for the email tests, and promtool
  # (from prometheus) to check the --prometheus and /metrics text format
  python3-aiosmtpd prometheus
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
# npm: NodeSource's `nodejs` (what these machines have) bundles npm and conflicts with
# Debian's `npm` package, so installing that would remove Node.js; Debian's own
# `nodejs` comes without npm. So: Debian's npm only when no npm command is there.
command -v npm >/dev/null || missing+=(npm)

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  if [[ ${#sudo[@]} -ne 0 ]] && ! command -v sudo >/dev/null; then
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 2
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

# npm test peers: `npm ci` installs exactly what package-lock.json pins. It writes
# node_modules/.package-lock.json last, so that file being older than the lock file
# (or missing) means node_modules is absent, stale or half-installed.
npm_dir=$root/tests/harness/npm
if [[ ! -f $npm_dir/node_modules/.package-lock.json ||
      $npm_dir/package-lock.json -nt $npm_dir/node_modules/.package-lock.json ]]; then
  echo "install-deps: npm ci in tests/harness/npm"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$npm_dir/node_modules/.package-lock.json"
  echo "install-deps: npm packages installed"
fi
