#!/usr/bin/env bash
# bench/instructions.sh - user-space instructions per operation, counted by valgrind's
# callgrind: the same on a quiet and on a busy machine, so it shows a library's own cost
# where timings are too noisy to (see ../shared/BENCHMARKING.md: "count, don't only
# time"). Client and server are counted together; each program runs twice, with a small
# and a larger count, and the difference is divided by the difference in operations, so
# start-up and set-up costs cancel.
#
#   bench/instructions.sh [--bindir DIR] [--tests LIST] [--impls LIST] [--size BYTES]
#
# DIR holds bench_raw, bench_csnet, bench_asio (default: bench/run.sh's build folder,
# $TMPDIR/csnet-bench; run bench/run.sh --smoke first to build them). --size: the
# ping-pong message size (default: the harness's, 32 bytes; the report's "Hola mundo"
# is 10, short enough for a std::string to keep inside itself, with no allocation).
# Writes instructions.csv there. Needs valgrind (skipped with a message where absent).
set -u

bindir=${BENCH_BUILD_DIR:-${TMPDIR:-/tmp}/csnet-bench}
tests="tcp_pingpong,udp_pingpong,accept"
impls="raw,csnet,csnet_str,asio"
size=""
while [ $# -gt 0 ]; do
    case $1 in
        --bindir) bindir=$2; shift ;;
        --tests) tests=$2; shift ;;
        --impls) impls=$2; shift ;;
        --size) size=$2; shift ;;
        -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "instructions.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if ! command -v valgrind >/dev/null 2>&1 || ! command -v callgrind_annotate >/dev/null 2>&1; then
    echo "instructions.sh: valgrind (with callgrind_annotate) not found; skipped (Debian: apt install valgrind)"
    exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/csnet-callgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT
csv=$bindir/instructions.csv
echo "test,impl,instructions_per_op" >"$csv"
failures=0

# total COUNT: instructions of client + server for one run with --count COUNT.
total() {
    local bin=$1 test=$2 count=$3 extra=$4
    rm -f "$work"/cg.*
    # shellcheck disable=SC2086  # $extra is "" or "--api string", $sizing "" or "--size N"
    if ! valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" \
        "$bin" "$test" --count "$count" --seconds 1000 $extra $sizing >/dev/null 2>"$work/err"; then
        echo "FAILED: $bin $test --count $count: $(tail -3 "$work/err")" >&2
        return 1
    fi
    # Minus the harness's latency percentiles (std::nth_element): their cost depends
    # on the measured times, and would make the count vary from run to run.
    local all harness=0 f
    all=$(cat "$work"/cg.* | awk '/^summary:/ { s += $2 } END { print s }')
    for f in "$work"/cg.*; do
        harness=$((harness + $(callgrind_annotate --inclusive=yes "$f" 2>/dev/null |
            awk '/percentile_us/ { gsub(",", "", $1); s += $1 } END { print s + 0 }')))
    done
    echo $((all - harness))
}

ops() {  # round trips / connections made for --count N: the harness's warm-up + N
    local n=$1 w=$(($1 / 10))
    [ $w -gt 1000 ] && w=1000
    echo $((n + w))
}

sizing=""
[ -n "$size" ] && sizing="--size $size"
n1=1000
n2=6000
printf '%-13s' "instr/op"
for impl in ${impls//,/ }; do printf ' %10s' "$impl"; done
echo
for test in ${tests//,/ }; do
    printf '%-13s' "$test"
    for impl in ${impls//,/ }; do
        extra=""
        bin=$bindir/bench_$impl
        if [ "$impl" = csnet_str ]; then
            bin=$bindir/bench_csnet
            extra="--api string"
            [ "$test" = accept ] && { printf ' %10s' "-"; continue; }
        fi
        if ! [ -x "$bin" ]; then printf ' %10s' "-"; continue; fi
        if ! a=$(total "$bin" "$test" $n1 "$extra") || ! b=$(total "$bin" "$test" $n2 "$extra"); then
            failures=$((failures + 1))
            printf ' %10s' "FAILED"
            continue
        fi
        per=$(awk -v a="$a" -v b="$b" -v x="$(ops $n1)" -v y="$(ops $n2)" \
            'BEGIN { printf "%.0f", (b - a) / (y - x) }')
        printf ' %10s' "$per"
        echo "$test,$impl,$per" >>"$csv"
    done
    echo
done
echo "(user-space instructions per round trip or per connection, client + server; $csv)"
[ $failures = 0 ]
