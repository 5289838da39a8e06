#!/usr/bin/env bash
# Rewrites the committed seed corpora fuzz/corpus/<target>/seed-*.
set -euo pipefail
cd "$(dirname "$0")/.."
for e in seeds seeds_iv seeds_v seeds_vi; do cargo run -q --example "$e"; done
