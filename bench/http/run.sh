#!/usr/bin/env bash
# bench/http/run.sh - requests per second of the HTTP lesson's server (examples/http,
# http_server) for one small file, next to CPython's http.server, measured with
# ApacheBench (Debian: apache2-utils). Informative only: one run each, on loopback,
# client and server sharing the machine's CPUs.
#
#   bench/http/run.sh            ab -n 20000 -c 50 for each row (one to three minutes)
#   bench/http/run.sh --smoke    ab -n 200 -c 5 (a few seconds): does everything work?
#
# Options:
#   -n N, -c C          requests in all, clients at once (default 20000, 50)
#   --bindir DIR        use DIR/http_server already built (e.g. build/examples);
#                       default: build it here with $CXX -O2 (default g++)
#   --build-dir DIR     where to build it (default $TMPDIR/csnet-bench-http)
# Environment: CXX, PYTHON (default python3).
#
# The rows:
#   http_server, ab -k         keep-alive: 50 connections carry all the requests
#   http_server, ab            a new TCP connection for every request
#   http.server (HTTP/1.0), ab -k   `python3 -m http.server`: HTTP/1.0 by default, so it
#                              closes after every answer even when asked to keep the
#                              connection ("Keep-Alive requests: 0"): a connection each
#   http.server (1.0, backlog 128)  the same, listening with a queue of 128, as http_server
#                              (examples/http/py_http_server.py --backlog 128)
#   http.server (HTTP/1.1), ab -k   the same handler with protocol_version "HTTP/1.1"
#                              (examples/http/py_http_server.py --http11): keep-alive
# ab -k speaks HTTP/1.0 with "Connection: Keep-Alive"; a server must answer
# "Connection: keep-alive" or close, or ab waits for its -s timeout.
# What to expect (bench/http/README.md has a run): http.server listens with a backlog
# of 5 (socketserver's request_queue_size), so 50 clients at once overflow its queue
# and a few connections wait for SYN retransmissions (1 s, 3 s, ... see "longest");
# and it writes the head and the body in two send()s, which with keep-alive meets
# Nagle's algorithm and the client's delayed ACK: ~40 ms per answer.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
n=20000
c=50
bindir=
build=${TMPDIR:-/tmp}/csnet-bench-http
CXX=${CXX:-g++}
PYTHON=${PYTHON:-python3}

while [ $# -gt 0 ]; do
    case $1 in
        --smoke) n=200; c=5 ;;
        -n) n=$2; shift ;;
        -c) c=$2; shift ;;
        --bindir) bindir=$2; shift ;;
        --build-dir) build=$2; shift ;;
        -h | --help) sed -n "2,33p" "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

command -v ab >/dev/null || { echo "run.sh: ab not found (Debian: apt-get install apache2-utils)" >&2; exit 1; }

# == The server, built at -O2 ======================================================
mkdir -p "$build" || exit 1
if [ -n "$bindir" ]; then
    server=$bindir/http_server
else
    server=$build/http_server
    echo "building http_server with $CXX -O2 ..." >&2
    "$CXX" -std=c++17 -O2 -DNDEBUG -I"$ROOT/include" "$ROOT/examples/http/server.cpp" -o "$server" -pthread \
        || { echo "run.sh: the build failed" >&2; exit 1; }
fi
[ -x "$server" ] || { echo "run.sh: $server not found" >&2; exit 1; }

# == The file: a small HTML page ===================================================
work=$(mktemp -d "${TMPDIR:-/tmp}/csnet-bench-http.XXXXXX") || exit 1
server_pid=
# shellcheck disable=SC2317  # called by the trap below
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/www"
{
    echo '<!DOCTYPE html><html><head><title>small</title></head><body>'
    for i in $(seq 1 12); do echo "<p>Line $i of a small page served again and again.</p>"; done
    echo '</body></html>'
} > "$work/www/small.html"
size=$(wc -c < "$work/www/small.html")

# Starts "$@" (its output into $work/log), waits (at most 10 s) for the line
# that names its port: "starting up on HOST port PORT" or "Serving HTTP on HOST port PORT".
start_server() {
    : > "$work/log"
    "$@" > "$work/log" 2>&1 &
    server_pid=$!
    port=
    for _ in $(seq 1 200); do
        port=$(sed -n 's/.* on [^ ]* port \([0-9][0-9]*\).*/\1/p' "$work/log" | head -n 1)
        [ -n "$port" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "run.sh: the server did not start: $*" >&2
    cat "$work/log" >&2
    return 1
}

stop_server() {
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
}

# One ab run against the server just started; adds a row to the table. -r: a reset
# counts as a failed request instead of stopping ab; -s 30: a request may take 30 s.
results=()
notes=()
row() { printf '%-38s %11s %10s %8s %8s %8s %7s' "$@"; }
measure() {  # NAME AB_FLAGS...
    local name=$1
    shift
    local out=$work/ab.txt
    if ! timeout 600 ab -q -r -s 30 "$@" -n "$n" -c "$c" "http://127.0.0.1:$port/small.html" > "$out" 2>&1; then
        # ab stops when one request waits longer than -s: say how far it got.
        local done_
        done_=$(sed -n 's/.*Total of \([0-9]*\) requests completed.*/\1/p' "$out")
        results+=("$(row "$name" "stalled" - - - ">30000" "-")")
        notes+=("$name: ab gave up when a request had waited 30 s; ${done_:-?} of $n requests were answered ($(grep -o 'apr_[a-z_]*: [^(]*' "$out" | head -n 1))")
        return 1
    fi
    local rps ka failed mean median longest
    rps=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$out")
    ka=$(sed -n 's/^Keep-Alive requests: *\([0-9]*\).*/\1/p' "$out")
    failed=$(sed -n 's/^Failed requests: *\([0-9]*\).*/\1/p' "$out")
    mean=$(sed -n 's/^Time per request: *\([0-9.]*\) \[ms\] (mean)$/\1/p' "$out")
    median=$(awk '$1 == "Total:" { print $5 }' "$out")
    longest=$(awk '$1 == "100%" { print $2 }' "$out")
    results+=("$(row "$name" "$rps" "${ka:-0}" "$mean" "$median" "$longest" "$failed")")
}

status=0
start_server "$server" 127.0.0.1 0 --root "$work/www" || exit 1
measure "http_server, ab -k (keep-alive)" -k || status=1
measure "http_server, ab (no keep-alive)" || status=1
stop_server

if command -v "$PYTHON" >/dev/null; then
    start_server "$PYTHON" -u -m http.server 0 --bind 127.0.0.1 --directory "$work/www" || exit 1
    measure "http.server (HTTP/1.0), ab -k" -k || true  # informative: a stall is reported, not an error
    stop_server
    start_server "$PYTHON" "$ROOT/examples/http/py_http_server.py" "$work/www" 127.0.0.1 0 --backlog 128 || exit 1
    measure "http.server (1.0, backlog 128), ab -k" -k || true
    stop_server
    start_server "$PYTHON" "$ROOT/examples/http/py_http_server.py" "$work/www" 127.0.0.1 0 --http11 || exit 1
    measure "http.server (HTTP/1.1), ab -k" -k || true
    stop_server
else
    echo "run.sh: $PYTHON not found: the http.server rows are skipped" >&2
fi

echo
echo "ab -n $n -c $c, one file of $size bytes, $(nproc 2>/dev/null || echo '?') CPUs shared by ab and the server"
echo "(keep-alive: requests that reused a connection; ms: time per request seen by one client, mean and"
echo " median; longest: the slowest request in ms)"
row "server, client" "requests/s" "keep-alive" "mean ms" "median" "longest" "failed"
echo
for row in "${results[@]}"; do echo "$row"; done
for note in "${notes[@]}"; do echo "note: $note"; done
exit $status
