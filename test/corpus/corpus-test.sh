#!/usr/bin/env bash
# make check entry: the corpus harness on this build's differ, over every
# architecture the differ supports (all of their cases must pass).
set -euo pipefail
build=${1:-${BUILD:-build}}
required_arches=(x86_64 s390x ppc64le aarch64 loongarch64)
args=()
for a in "${required_arches[@]}"; do args+=(--arch "$a"); done
exec "$(dirname "$0")/run-corpus" --cdo "$build/create-diff-object/create-diff-object" "${args[@]}"
