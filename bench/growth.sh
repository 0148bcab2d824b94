#!/usr/bin/env bash
# Growth curve (issue 17, item 6): time and peak RSS of `summary --json`, and the
# explorer's first frame, time to the loaded view, slowest key and peak RSS
# (bench/first_frame.py), at 10k, 100k, 1M and 5M spans of real-shape OTLP (collector-style
# JSON Lines) and MLflow 3 `to_json` lines, made by scale-export from the SDK-written
# corpus. Each file is generated on the fly and deleted after its row (a 5M-span file is
# about 9-10 GB), after checking the disk has room for it plus a margin; never more than
# one file exists at a time. Prints a Markdown table.
#
#   bench/growth.sh                               # 10000 100000 1000000 5000000
#   SPANLENS_GROWTH_SIZES="10000 100000" bench/growth.sh
#   SPANLENS_GROWTH_FRAME=0 bench/growth.sh       # skip the explorer
#   SPANLENS_GROWTH_ONLY=MLflow bench/growth.sh   # only inputs whose name contains this
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${SPANLENS_BENCH_DIR:-/tmp/spanlens-bench}
SIZES=${SPANLENS_GROWTH_SIZES:-10000 100000 1000000 5000000}
RUNS=${SPANLENS_BENCH_RUNS:-3}
# Free space to leave on the disk besides the file (other processes need room too).
MARGIN_GB=${SPANLENS_GROWTH_MARGIN_GB:-8}
CORPUS=${SPANLENS_CORPUS:-../shared/corpus}/generated
mkdir -p "$DIR"
[ -x /usr/bin/time ] || { echo "bench/growth.sh needs /usr/bin/time (apt install time)" >&2; exit 1; }
LOADAVG=$(cut -d" " -f1-3 /proc/loadavg)

cargo build --release --quiet --bin spanlens && cargo build --release --quiet -p spanlens-synth --bin scale-export
BIN=target/release/spanlens
SCALE=target/release/scale-export

FORMATS=(
    "OTLP (collector-style JSONL)|otlp-genai/otel_genai_latest.otlp.jsonl|otlp.jsonl"
    "MLflow 3 to_json lines|mlflow-v3/mlflow-3.17.2_trace_agent.to_json.json|mlflow3.jsonl"
)

free_gb() { df -B1G --output=avail "$DIR" | tail -1 | tr -d ' '; }
ROWS=()
for entry in "${FORMATS[@]}"; do
    IFS='|' read -r name src ext <<< "$entry"
    case "$name" in *"${SPANLENS_GROWTH_ONLY:-}"*) ;; *) continue ;; esac
    per_span=0
    for n in $SIZES; do
        f=$DIR/growth-$n.$ext
        # Bytes per span from the previous (smaller) size, or a generous guess.
        need=$(awk -v n="$n" -v b="$per_span" 'BEGIN { b = b > 0 ? b : 2500; printf "%.0f", n * b / 1e9 + 1 }')
        if [ "$(free_gb)" -lt $(( need + MARGIN_GB )) ]; then
            echo "skipping $name at $n spans: needs ~${need} GB + ${MARGIN_GB} GB margin, $(free_gb) GB free" >&2
            ROWS+=("| $name | $n | - | skipped: disk | | | | |")
            continue
        fi
        start=$(date +%s.%N)
        "$SCALE" --spans "$n" --in "$CORPUS/$src" --out "$f" 2>/dev/null
        made=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        bytes=$(stat -c %s "$f"); per_span=$(( bytes / n ))
        fmb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
        runs=$RUNS; [ "$n" -ge 5000000 ] && runs=1
        walls=(); rsss=()
        for _ in $(seq "$runs"); do
            /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$BIN" summary --json "$f" >/dev/null 2>"$DIR/stderr.txt"
            read -r w r < "$DIR/time.txt"; walls+=("$w"); rsss+=("$r")
        done
        wall=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
        rss=$(printf '%s\n' "${rsss[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
        # KiB from `time`, to MB of 10^6 bytes as the file size is.
        rss=$(awk -v k="$rss" 'BEGIN { printf "%.0f", k * 1024 / 1e6 }')
        frame="-"
        if [ "${SPANLENS_GROWTH_FRAME:-1}" != 0 ]; then
            frame=$(python3 bench/first_frame.py "$BIN" "$f" | sed 's/first_frame_ms=//; s/ ready_ms=/ | /; s/ key_ms=/ | /; s/ rss_mb=/ | /')
        else
            frame="- | - | - | -"
        fi
        ROWS+=("| $name | $n | $fmb | $wall | $rss ($(awk -v a="$rss" -v b="$fmb" 'BEGIN { printf "%.2f", a / b }')x) | $frame |")
        echo "done: $name $n spans ($fmb MB, made in $made s): summary $wall s, RSS $rss MB; explorer $frame" >&2
        rm -f "$f"
    done
done

echo
echo "spanlens $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average before: $LOADAVG; summary: median of $RUNS runs (1 at 5M)"
echo
echo "| input | spans | MB | summary --json s | peak RSS MB (x file) | explorer first frame ms | explorer ready ms | slowest key ms | explorer peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
