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
# Single headers a layer may use from a layer it may not use as a whole: source/ gets the
# one table-inventory type of core/ (a pure value type), nothing else of core/.
declare -A allowed_headers=(
  [source]="core/inventory.hpp"
)
bad=0
for layer in "${!allowed[@]}"; do
  [[ -d $src/$layer ]] || continue
  while IFS=: read -r file _ inc; do
    dep=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
    header=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$inc")
    [[ $dep == "$layer" ]] && continue
    [[ " ${allowed_headers[$layer]:-} " == *" $header "* ]] && continue
    if [[ " ${allowed[$layer]} " != *" $dep "* ]]; then
      echo "layering: $file includes '$dep/', which layer '$layer' may not use" >&2
      bad=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "$src/$layer" || true)
done
# What source/ may include from core/ must itself use nothing of ours but util/, or a
# source would reach storage or manifests through it.
while IFS=: read -r file _ inc; do
  dep=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
  if [[ $dep != util && $inc != *'"core/inventory.hpp"'* ]]; then
    echo "layering: $file includes '$dep/', but core/inventory may use only util/" >&2
    bad=1
  fi
done < <(grep -nE '^#include "[a-z_]+/' "$src"/core/inventory.hpp "$src"/core/inventory.cpp /dev/null || true)
# Storage backends never see core/; filters never see storage/ (checked above) .
[[ $bad -eq 0 ]] && echo "layering: ok"
exit $bad
