#!/usr/bin/env bash
# bench/many_clients/run.sh - echo with 1,000 concurrent clients on loopback:
# csnet::selector (examples/many_clients/selector.cpp), csnet threads
# (examples/many_clients/threads.cpp), a raw poll() loop in plain C++ (the limit),
# Python's selectors (examples/many_clients/selector_server.py) and asio's async echo
# server (when <asio.hpp> is installed). The same load client for all
# (examples/many_clients/load.cpp): messages per second and p99 round trip.
#
#   bench/many_clients/run.sh            11 interleaved reps (about 3 minutes)
#   bench/many_clients/run.sh --smoke    each server once with a tiny load
#
# Options: --reps N, --clients N (1000), --messages M (20), --max-size S (1024),
#   --build-dir DIR (default $TMPDIR/csnet-bench-many), --servers LIST
#   (from raw,selector,threads,asio,python; default all).
# Each server is pinned to CPU 0 and the load client to CPU 1 (taskset), so the
# figure is what one core of server can do; order A B C ... then C B A, medians,
# and per-rep ratios to the raw loop.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/bench/many_clients
LESSON=$ROOT/examples/many_clients
reps=11
clients=1000
messages=20
max_size=1024
build=${TMPDIR:-/tmp}/csnet-bench-many
servers="raw selector threads asio python"
CXX=${CXX:-g++}
PYTHON=${PYTHON:-python3}

while [ $# -gt 0 ]; do
    case $1 in
        --smoke) reps=1; clients=50; messages=5 ;;
        --reps) reps=$2; shift ;;
        --clients) clients=$2; shift ;;
        --messages) messages=$2; shift ;;
        --max-size) max_size=$2; shift ;;
        --build-dir) build=$2; shift ;;
        --servers) servers=${2//,/ }; shift ;;
        -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

mkdir -p "$build"
read -ra extra_flags <<<"${BENCH_CXXFLAGS:-}"
flags=(-std=c++17 -O2 -DNDEBUG -Wall -Wextra -I"$ROOT/include" "${extra_flags[@]}")
echo "building with $CXX -O2 in $build"
"$CXX" "${flags[@]}" "$HERE/raw_poll_server.cpp" -o "$build/raw"
"$CXX" "${flags[@]}" "$LESSON/selector.cpp" -o "$build/selector"
"$CXX" "${flags[@]}" -pthread "$LESSON/threads.cpp" -o "$build/threads"
"$CXX" "${flags[@]}" "$LESSON/load.cpp" -o "$build/load"
if [[ " $servers " == *" asio "* ]]; then
    if echo '#include <asio.hpp>' | "$CXX" -std=c++17 -x c++ -fsyntax-only - 2>/dev/null; then
        "$CXX" "${flags[@]}" -DASIO_STANDALONE -pthread "$HERE/asio_server.cpp" -o "$build/asio"
    else
        echo "asio: <asio.hpp> not found (apt install libasio-dev): skipped"
        servers=${servers//asio/}
    fi
fi
if [[ " $servers " == *" python "* ]] && ! command -v "$PYTHON" >/dev/null; then
    echo "python: $PYTHON not found: skipped"
    servers=${servers//python/}
fi
pin_server=()
pin_load=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin_server=(taskset -c 0)
    pin_load=(taskset -c 1)
fi

# run_one NAME: starts server NAME on a free port, runs the load, prints "msgs p99".
run_one() {
    local name=$1 log="$build/$1.log" pid port line
    case $name in
        python) "${pin_server[@]}" "$PYTHON" "$LESSON/selector_server.py" 127.0.0.1 0 2>"$log" & ;;
        *) "${pin_server[@]}" "$build/$name" 127.0.0.1 0 2>"$log" & ;;
    esac
    pid=$!
    for _ in $(seq 100); do
        grep -q "starting up on" "$log" 2>/dev/null && break
        sleep 0.05
    done
    port=$(grep -m1 "starting up on" "$log" | awk '{print $NF}')
    if [ -z "$port" ]; then
        kill "$pid" 2>/dev/null || true
        echo "run.sh: server $name did not start" >&2
        return 1
    fi
    line=$(timeout 300 "${pin_load[@]}" "$build/load" 127.0.0.1 "$port" --clients "$clients" \
        --messages "$messages" --max-size "$max_size" --timeout 240) || {
        kill "$pid" 2>/dev/null || true
        echo "run.sh: load against $name failed: $line" >&2
        return 1
    }
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$line" | sed -E 's/.*messages\/s ([0-9.]+), p50 ms ([0-9.]+), p99 ms ([0-9.]+).*/\1 \3/'
}

csv="$build/runs.csv"
echo "rep,server,messages_per_s,p99_ms" >"$csv"
for rep in $(seq "$reps"); do
    order=$servers
    if [ $((rep % 2)) -eq 0 ]; then order=$(echo "$servers" | tr ' ' '\n' | tac | tr '\n' ' '); fi
    for name in $order; do
        result=$(run_one "$name")
        echo "$rep,$name,${result// /,}" >>"$csv"
        echo "rep $rep $name: $result"
    done
done

echo
echo "Echo, $clients clients x $messages messages (1 B to $max_size B), medians of $reps reps:"
"$PYTHON" - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault(r["server"], []).append(r)
raw = {r["rep"]: float(r["messages_per_s"]) for r in by.get("raw", [])}
print("| server | messages/s | p99 ms | ratio to raw poll loop (median of per-rep ratios) |")
print("|---|---:|---:|---:|")
for name, rs in by.items():
    mps = statistics.median(float(r["messages_per_s"]) for r in rs)
    p99 = statistics.median(float(r["p99_ms"]) for r in rs)
    ratios = [float(r["messages_per_s"]) / raw[r["rep"]] for r in rs if raw.get(r["rep"])]
    ratio = "%.3f" % statistics.median(ratios) if ratios else "-"
    print("| %s | %.0f | %.2f | %s |" % (name, mps, p99, ratio))
PY
