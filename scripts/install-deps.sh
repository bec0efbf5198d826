#!/usr/bin/env bash
# Installs every Debian package lifeboat needs to build, test and benchmark.
# Idempotent: asks dpkg what is missing and installs only that, so a second run
# is a no-op that takes well under a second. Runs as root, or through sudo.
set -euo pipefail

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
  sqlite3 zstd gzip coreutils time procps util-linux python3 tzdata
  postgresql-15 postgresql-client age
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
