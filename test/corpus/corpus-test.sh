#!/usr/bin/env bash
# make check entry: the corpus harness on this build's differ.
set -euo pipefail
build=${1:-${BUILD:-build}}
exec "$(dirname "$0")/run-corpus" --cdo "$build/create-diff-object/create-diff-object"
