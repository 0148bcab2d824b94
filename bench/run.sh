#!/usr/bin/env bash
# Whole-process benchmarks of the release binary: generates the inputs (kept in
# $SPANLENS_BENCH_DIR between runs; delete it to regenerate), times each command, and prints
# a Markdown table with the targets beside the numbers. Needs /usr/bin/time and python3;
# jq is optional (SPANLENS_BENCH_JQ=0 skips it, it takes about a minute).
#
# Two sets of inputs, side by side: files from spanlens's own generator (gen-traces), and
# real-shape files: the SDK-written exports of ../shared/corpus/generated replicated to
# $SPANS spans by scale-export (docs/real-shape.md). Real-shape files are 1-4 GB each at
# 1M spans, so each is deleted after its row unless SPANLENS_BENCH_KEEP=1 (the 100k-span
# OTLP file for the jq row is small and kept).
#
#   bench/run.sh                          # 1,000,000 spans, both sets
#   SPANLENS_BENCH_SPANS=200000 bench/run.sh
#   SPANLENS_BENCH_SETS=real bench/run.sh # only the real-shape rows (or: generated)
#   SPANLENS_BENCH_BIN=/tmp/spanlens-before bench/run.sh # time another binary
set -euo pipefail
cd "$(dirname "$0")/.."
# Decimal points, not commas, in the shell's clock ($EPOCHREALTIME) and in awk.
export LC_ALL=C

DIR=${SPANLENS_BENCH_DIR:-/tmp/spanlens-bench}
SPANS=${SPANLENS_BENCH_SPANS:-1000000}
RUNS=${SPANLENS_BENCH_RUNS:-3}
mkdir -p "$DIR"
LOADAVG=$(cut -d" " -f1-3 /proc/loadavg)
[ -x /usr/bin/time ] || { echo "bench/run.sh needs /usr/bin/time (apt install time)" >&2; exit 1; }

SETS=${SPANLENS_BENCH_SETS:-generated,real}
CORPUS=${SPANLENS_CORPUS:-../shared/corpus}/generated

cargo build --release --quiet --bin spanlens --example json-baseline && cargo build --release --quiet -p spanlens-synth --bin gen-traces --bin scale-export
# SPANLENS_BENCH_BIN: another spanlens binary to time (one from before a change, say).
BIN=${SPANLENS_BENCH_BIN:-target/release/spanlens}
GEN=target/release/gen-traces
SCALE=target/release/scale-export
BASE=target/release/examples/json-baseline

# gen FILE ARGS...: generate FILE once.
gen() {
    local out=$1; shift
    if [ ! -s "$out" ]; then
        echo "generating $out" >&2
        "$GEN" "$@" --out "$out.tmp" >/dev/null && mv "$out.tmp" "$out"
    fi
}
# timed CMD...: runs CMD $RUNS times; sets WALL (median seconds) and RSS (its peak, MB).
# The wall time is read from the shell's clock to the millisecond (`time` prints hundredths,
# and the 100k row's 20x-jq target turns on less than that); it includes starting `time`
# itself, about a millisecond.
timed() {
    local walls=() rsss=() start r
    for _ in $(seq "$RUNS"); do
        start=$EPOCHREALTIME
        /usr/bin/time -f "%M" -o "$DIR/time.txt" "$@" >/dev/null 2>"$DIR/stderr.txt"
        walls+=("$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')")
        read -r r < "$DIR/time.txt"
        rsss+=("$r")
    done
    WALL=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
    RSS=$(printf '%s\n' "${rsss[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
    # `time` gives KiB; MB here are 10^6 bytes, as the file sizes (`mb`) are.
    RSS=$(awk -v k="$RSS" 'BEGIN { printf "%.0f", k * 1024 / 1e6 }')
}

# phase NAME: milliseconds of a SPANLENS_TIMINGS phase in the last stderr.
phase() { grep "timing $1 " "$DIR/stderr.txt" | tail -1 | awk '{ for (i = 2; i <= NF; i++) if ($i == "ms") { print $(i-1); exit } }'; }
mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.0f", b / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 |"); }


# LOAD: one table of `summary --json` beside the IgnoredAny baseline, generated and
# real-shape inputs side by side (one load_row each).
LOAD=()
# baseline FILE: median seconds of serde_json -> IgnoredAny over FILE's lines ("-" for
# parquet). A one-line JSON array (pandas records) is one document, parsed on one thread.
baseline() {
    case "$1" in *.parquet) echo "-"; return ;; esac
    for _ in $(seq "$RUNS"); do "$BASE" "$1" 2>/dev/null; done | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}
# warm FILE: reads FILE once, so that its pages are in the page cache. The baseline times
# its parse of bytes already read; this machine's memory reclaim (DAMON pageout) writes
# out file pages left idle for a while, and a run that found them gone paid the disk too
# (seen: a 1M-span file 1.0 of 1.8 GB resident a few minutes after it was written).
warm() { cat "$1" > /dev/null; }

# load_row SET NAME FILE TARGET: times `summary --json` on FILE (sets WALL, RSS, BASE_OF).
load_row() {
    local fmb times="-"
    warm "$3"
    timed "$BIN" summary --json "$3"
    BASE_OF=$(baseline "$3"); fmb=$(mb "$3")
    # (`timed` reads into a variable named r, so the ratio has another name.)
    [ "$BASE_OF" != "-" ] && times="$(ratio "$WALL" "$BASE_OF")x"
    LOAD+=("| $1 | $2 | $fmb | $WALL | $BASE_OF | $times | $RSS ($(ratio "$RSS" "$fmb")x) | $4 |")
}
# real FILE CORPUS_FILE SPANS: scale a corpus file once (kept until deleted).
real() {
    if [ ! -s "$1" ]; then
        echo "scaling $2 to $3 spans" >&2
        "$SCALE" --spans "$3" --in "$CORPUS/$2" --out "$1.tmp" && mv "$1.tmp" "$1"
    fi
}

if [[ ,$SETS, == *,generated,* ]]; then
    BIG=$DIR/spans-$SPANS.otlp.jsonl
    PARQ=$DIR/spans-$SPANS.parquet
    MLF=$DIR/spans-$SPANS.mlflow.jsonl
    MB100=$DIR/100mb.otlp.jsonl
    gen "$BIG" --spans "$SPANS" --format otlp
    gen "$PARQ" --spans "$SPANS" --format parquet
    gen "$MLF" --spans "$SPANS" --format mlflow
    gen "$MB100" --spans 43000 --format otlp
    for n in 10000 100000; do
        gen "$DIR/run1-$n.otlp.jsonl" --spans $n --traces 1 --format otlp
        gen "$DIR/run2-$n.otlp.jsonl" --spans $n --traces 1 --format otlp --mutate 1
    done

    # Load: summary against the IgnoredAny baseline and jq.
    warm "$BIG"
    timed "$BIN" summary "$BIG"; SUM_WALL=$WALL; SUM_RSS=$RSS
    BASE_S=$(for _ in $(seq "$RUNS"); do "$BASE" "$BIG" 2>/dev/null; done | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
    BIG_MB=$(mb "$BIG")
    row "\`summary\`, $SPANS spans OTLP JSONL ($BIG_MB MB)" "${SUM_WALL} s, peak RSS ${SUM_RSS} MB ($(ratio "$SUM_RSS" "$BIG_MB")x file)" "RSS ≤ 0.5x file"
    row "serde_json → IgnoredAny, same bytes, 2 threads (in memory)" "${BASE_S} s → summary is $(ratio "$SUM_WALL" "$BASE_S")x" "summary ≤ 1.5x"
    timed env SPANLENS_SERDE_ONLY=1 "$BIN" summary "$BIG"
    row "\`summary\` with the serde_json reader only (\`SPANLENS_SERDE_ONLY=1\`)" "${WALL} s, peak RSS ${RSS} MB" "-"
    if [ "${SPANLENS_BENCH_JQ:-1}" != 0 ] && command -v jq >/dev/null; then
        JQ_START=$(date +%s.%N)
        jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' "$BIG" | wc -l >/dev/null
        JQ_S=$(awk -v a="$JQ_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        row "jq listing the span ids of the same file" "${JQ_S} s → summary is $(ratio "$JQ_S" "$SUM_WALL")x faster" "≥ 20x faster"
    fi
    timed "$BIN" summary "$PARQ"
    row "\`summary\`, the same spans as parquet ($(mb "$PARQ") MB)" "${WALL} s, peak RSS ${RSS} MB" "no slower than JSON (${SUM_WALL} s)"
    timed "$BIN" summary "$MLF"
    row "\`summary\`, the same spans as MLflow JSONL ($(mb "$MLF") MB, one trace per line)" "${WALL} s, peak RSS ${RSS} MB ($(ratio "$RSS" "$(mb "$MLF")")x file)" "-"
    timed "$BIN" summary "$MB100"
    row "\`summary\`, 43,000 spans OTLP JSONL ($(mb "$MB100") MB)" "${WALL} s, peak RSS ${RSS} MB" "-"

    # Search: phases of one process (the load itself is timed above).
    # search FILE QUERY WHAT PHASE TARGET
    search() {
        SPANLENS_TIMINGS=1 "$BIN" search --limit 50 "$2" "$1" >/dev/null 2>"$DIR/stderr.txt"
        row "search \`$2\`, $SPANS spans$([ "$1" = "$PARQ" ] && echo ' as parquet'): $3" "$(phase "search: $4") ms" "$5"
    }
    search "$BIG" "tool:get_wether" "first hits (short fields)" "short fields" "< 50 ms"
    search "$BIG" "'timed out" "exact, every prompt and output" "long fields" "< 1000 ms"
    search "$BIG" "re:rate.limit" "regex, every prompt and output" "long fields" "-"
    search "$BIG" "weather paris" "fuzzy, every prompt and output" "long fields" "streams, cancellable"
    # Parquet's long cells are decoded from their pages as the search reads them.
    search "$PARQ" "'timed out" "exact, every prompt and output" "long fields" "< 1000 ms"
    search "$PARQ" "weather paris" "fuzzy, every prompt and output" "long fields" "streams, cancellable"

    # Diff: two runs of one trace, the second with a few changes.
    for n in 10000 100000; do
        SPANLENS_TIMINGS=1 "$BIN" diff --format json "$DIR/run1-$n.otlp.jsonl" "$DIR/run2-$n.otlp.jsonl" \
            >/dev/null 2>"$DIR/stderr.txt"
        target=$([ $n = 10000 ] && echo "align < 100 ms" || echo "align < 2000 ms")
        row "diff $n vs $n spans: align, then compare payloads" "$(phase "diff: align") ms + $(phase "diff: compare") ms" "$target"
    done

    # The explorer in a pseudo-terminal.
    read -r FF < <(python3 bench/first_frame.py "$BIN" "$BIG")
    row "explorer on $SPANS spans: first frame, loaded view, slowest key" "$FF" "first frame < 100 ms, key < 16 ms"
    read -r FF < <(python3 bench/first_frame.py "$BIN" "$PARQ")
    row "explorer on the parquet file (cells decoded when shown): the same" "$FF" "first frame < 100 ms, key < 16 ms"

    load_row generated "OTLP JSONL (gen-traces)" "$BIG" "≤ 1.3x IgnoredAny"
    load_row generated "MLflow 3 lines (gen-traces)" "$MLF" "-"
    load_row generated "Phoenix-style parquet (gen-traces)" "$PARQ" "-"
fi

if [[ ,$SETS, == *,real,* ]]; then
    [ -d "$CORPUS" ] || { echo "no corpus at $CORPUS (set SPANLENS_CORPUS)" >&2; exit 1; }
    # name, corpus file, output extension, target
    REAL=(
        "MLflow 3 to_json lines|mlflow-v3/mlflow-3.17.2_trace_agent.to_json.json|mlflow3.jsonl|≤ 1.3x IgnoredAny"
        "MLflow 2 to_json lines|mlflow-v2/mlflow-2.22.5_trace_agent.to_json.json|mlflow2.jsonl|≤ 1.3x IgnoredAny"
        "OTel GenAI, collector-style OTLP JSONL|otlp-genai/otel_genai_latest.otlp.jsonl|otlp.jsonl|≤ 1.3x IgnoredAny"
        "OTLP with base64 ids and enum names|otlp-genai/otel_genai_latest.protobuf-json-base64-ids.json|otlp-b64.jsonl|-"
        "OpenInference OTLP|openinference-phoenix/openinference_agent.otlp.json|openinference.jsonl|-"
        "Langfuse SDK OTLP|langfuse/langfuse_sdk_otel_export.otlp.jsonl|langfuse.jsonl|-"
        "LangSmith runs JSONL|langsmith/langsmith_runs.jsonl|langsmith.jsonl|-"
        "MLflow search_traces records JSON|mlflow-v3/mlflow-3.17.2_search_traces.records.json|search-traces.records.json|-"
        "MLflow search_traces parquet|mlflow-v3/mlflow-3.17.2_search_traces.parquet|search-traces.parquet|no slower than records JSON"
        "Phoenix spans parquet|openinference-phoenix/phoenix_spans_dataframe.parquet|phoenix.parquet|-"
    )
    for entry in "${REAL[@]}"; do
        IFS='|' read -r name src ext target <<< "$entry"
        [ -e "$CORPUS/$src" ] || { echo "skipping $name: $CORPUS/$src is absent" >&2; continue; }
        f=$DIR/real-$SPANS.$ext
        real "$f" "$src" "$SPANS"
        load_row "real shape" "$name" "$f" "$target"
        [ "$ext" = search-traces.records.json ] && RECORDS_WALL=$WALL
        if [ "$ext" = mlflow3.jsonl ] || [ "$ext" = otlp.jsonl ]; then
            read -r FF < <(python3 bench/first_frame.py "$BIN" "$f")
            row "explorer on the real-shape $name, $SPANS spans: first frame, loaded view, slowest key" "$FF" "first frame < 100 ms, key < 16 ms"
        fi
        if [ "$ext" = search-traces.parquet ] && [ -n "${RECORDS_WALL:-}" ]; then
            LOAD[-1]="${LOAD[-1]% |} (records: ${RECORDS_WALL} s → $(ratio "$WALL" "$RECORDS_WALL")x) |"
        fi
        [ "${SPANLENS_BENCH_KEEP:-0}" = 1 ] || rm -f "$f"
    done
    # 100,000 spans of collector-style OTLP: jq and RSS.
    R100=$DIR/real-100000.otlp.jsonl
    real "$R100" otlp-genai/otel_genai_latest.otlp.jsonl 100000
    # More runs for this small file: its row is about a tenth of a second.
    RUNS_ALL=$RUNS; RUNS=$(( RUNS * 3 ))
    load_row "real shape" "OTel GenAI collector-style OTLP, 100,000 spans" "$R100" "RSS ≤ 0.5x file"
    S100=$WALL
    RUNS=$RUNS_ALL
    timed env SPANLENS_SERDE_ONLY=1 "$BIN" summary --json "$R100"
    row "real-shape OTLP, 100,000 spans: \`summary --json\` with \`SPANLENS_SERDE_ONLY=1\`" "${WALL} s (SIMD reader: ${S100} s)" "-"
    if [ "${SPANLENS_BENCH_JQ:-1}" != 0 ] && command -v jq >/dev/null; then
        JQ_START=$(date +%s.%N)
        jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' "$R100" | wc -l >/dev/null
        JQ_S=$(awk -v a="$JQ_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
        row "jq listing the span ids of the real-shape 100,000-span OTLP file" "${JQ_S} s → summary is $(ratio "$JQ_S" "$S100")x faster" "≥ 20x faster"
    fi
fi

echo
echo "spanlens $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
if [ ${#ROWS[@]} -gt 0 ]; then
    echo "| measured | result | target |"
    echo "|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
fi
echo
echo "\`summary --json\` at $SPANS spans (medians of $RUNS runs, the file read once before them; IgnoredAny = serde_json on the same bytes, all threads, file already in memory; load average before: $LOADAVG)"
echo
echo "| set | input | MB | summary s | IgnoredAny s | ratio | peak RSS MB (x file) | target |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${LOAD[@]}"
