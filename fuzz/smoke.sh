#!/usr/bin/env bash
# Fuzz smoke: builds every cargo-fuzz target and runs each for a fixed budget
# (FUZZ_SECONDS, default 15) from its committed seeds; fails on any crash, panic,
# leak-free OOM (> FUZZ_RSS_MB) or input slower than FUZZ_TIMEOUT seconds.
# Longer campaigns by hand: see fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-15}"
PARALLEL="${FUZZ_JOBS:-2}"
SANITIZER="${FUZZ_SANITIZER:-none}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" CARGO_TERM_COLOR=never

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked -j "$CARGO_BUILD_JOBS"
fi
# cargo-fuzz needs a nightly compiler: the installed nightly, else stable with
# RUSTC_BOOTSTRAP=1 (no download either way).
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  FUZZ=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  FUZZ=(cargo fuzz)
fi

start=$(date +%s)
echo "== building fuzz targets (sanitizer: $SANITIZER)"
"${FUZZ[@]}" build -s "$SANITIZER"
built=$(date +%s)
echo "== built in $((built - start)) s"

bin=target/x86_64-unknown-linux-gnu/release
work=target/smoke
rm -rf "$work"
mkdir -p "$work"
targets=$("${FUZZ[@]}" list)

run_one() {
  local t=$1
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  # New inputs go to the scratch corpus (first dir); the seeds stay untouched.
  if "$bin/$t" "$work/corpus/$t" "corpus/$t" \
      -max_total_time="$SECONDS_PER_TARGET" -timeout="${FUZZ_TIMEOUT:-25}" -rss_limit_mb="${FUZZ_RSS_MB:-1536}" \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" >"$work/$t.log" 2>&1; then
    local runs
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$' || echo '?')
    printf 'ok    %-26s %10s execs in %ss\n' "$t" "$runs" "$SECONDS_PER_TARGET"
  else
    printf 'FAIL  %-26s see fuzz/%s/%s.log; reproducer in fuzz/%s/artifacts/%s/\n' "$t" "$work" "$t" "$work" "$t"
    grep -m5 -E 'panicked|ERROR|SUMMARY' "$work/$t.log" | sed 's/^/      /'
    return 1
  fi
}
export -f run_one
export bin work SECONDS_PER_TARGET

echo "== running $(echo "$targets" | wc -w) targets x ${SECONDS_PER_TARGET}s, $PARALLEL at a time"
status=0
echo "$targets" | xargs -n1 -P "$PARALLEL" bash -c 'run_one "$0"' || status=1
echo "== fuzz smoke: $((built - start)) s build + $(($(date +%s) - built)) s runs"
if [ "$status" -ne 0 ]; then
  echo "fuzz smoke FAILED: fix the parser (a clear error, not a panic), add the input as a regression test and to fuzz/corpus/<target>/seed-regress-*" >&2
fi
exit "$status"
