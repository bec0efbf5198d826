#!/usr/bin/env bash
# Enforces the layer graph of docs/ARCHITECTURE.md: every #include "layer/..." in
# src/<layer> must name an allowed lower layer (our form of restic's depguard).
set -uo pipefail
src=${1:?src dir}
declare -A allowed=(
  [util]=""
  [pipeline]="util"
  [codec]="pipeline util"
  [crypto]="pipeline util"
  [storage]="pipeline util"
  [source]="pipeline util"
  [config]="util"
  [core]="storage codec crypto pipeline util"
  [commands]="core source codec crypto storage pipeline config util"
  [app]="commands core source codec crypto storage pipeline config util"
)
bad=0
for layer in "${!allowed[@]}"; do
  [[ -d $src/$layer ]] || continue
  while IFS=: read -r file _ inc; do
    dep=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
    [[ $dep == "$layer" ]] && continue
    if [[ " ${allowed[$layer]} " != *" $dep "* ]]; then
      echo "layering: $file includes '$dep/', which layer '$layer' may not use" >&2
      bad=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "$src/$layer" || true)
done
# Storage backends never see core/; filters never see storage/ (checked above) .
[[ $bad -eq 0 ]] && echo "layering: ok"
exit $bad
