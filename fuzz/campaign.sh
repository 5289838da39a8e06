#!/usr/bin/env bash
# A fuzzing campaign (issue 16 item 6): every target for FUZZ_SECONDS (default 600)
# from its committed seeds, FUZZ_JOBS at a time, run at low priority. Afterwards
# each target's grown corpus is merged (libFuzzer -merge=1: only inputs adding
# coverage) into corpus/<target>/ as seed-campaign-* files, and one line per
# target (executions, coverage edges, features, corpus size, crashes) goes to
# target/campaign/summary.tsv for fuzz/README.md. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-600}"
PARALLEL="${FUZZ_JOBS:-2}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" CARGO_TERM_COLOR=never
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then FUZZ=(cargo +nightly fuzz); else export RUSTC_BOOTSTRAP=1; FUZZ=(cargo fuzz); fi
"${FUZZ[@]}" build -s none
bin=target/x86_64-unknown-linux-gnu/release
work=target/campaign
rm -rf "$work"; mkdir -p "$work"
targets=${FUZZ_TARGETS:-$("${FUZZ[@]}" list)}

campaign_one() {
  local t=$1
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t" "$work/merged/$t"
  local status=ok
  nice -n 10 "$bin/$t" "$work/corpus/$t" "corpus/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=25 -rss_limit_mb=1536 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" >"$work/$t.log" 2>&1 || status=CRASH
  local runs cov ft
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -oE 'cov: [0-9]+' "$work/$t.log" | tail -1 | grep -o '[0-9]*' || echo '?')
  ft=$(grep -oE 'ft: [0-9]+' "$work/$t.log" | tail -1 | grep -o '[0-9]*' || echo '?')
  # Keep only what adds coverage over the committed seeds.
  "$bin/$t" -merge=1 "$work/merged/$t" "corpus/$t" "$work/corpus/$t" -max_len=65536 >"$work/$t.merge.log" 2>&1 || true
  local added=0 known
  known=$(sha1sum corpus/$t/* 2>/dev/null | cut -d' ' -f1)
  for f in "$work/merged/$t"/*; do
    [ -e "$f" ] || continue
    local h; h=$(sha1sum "$f" | cut -d' ' -f1)
    if ! grep -q "$h" <<<"$known"; then
      cp "$f" "corpus/$t/seed-campaign-${h:0:16}"; added=$((added + 1))
    fi
  done
  local crashes; crashes=$(ls "$work/artifacts/$t" | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$SECONDS_PER_TARGET" "$runs" "$cov" "$ft" "$added" "$crashes" | tee -a "$work/summary.tsv"
  [ "$status" = ok ]
}
export -f campaign_one
export bin work SECONDS_PER_TARGET
printf 'target\tseconds\texecs\tcov\tft\tnew_seeds\tcrashes\n' > "$work/summary.tsv"
echo "$targets" | xargs -n1 -P "$PARALLEL" bash -c 'campaign_one "$0"' || { echo "campaign: a target crashed, see $work/artifacts" >&2; exit 1; }
