#!/usr/bin/env bash
# bench/run.sh - build csnet's benchmarks at -O2, run them all, print the table, write
# CSV files and a PNG chart. See bench/README.md for what is measured and why.
#
#   bench/run.sh            full run (3-4 minutes on a 2-CPU machine)
#   bench/run.sh --smoke    every program once with tiny counts (CI: a few seconds)
#
# Options:
#   --reps N           interleaved repetitions (default 11; smoke 1)
#   --cpu N|none       the CPU every benchmark process is pinned to (default 0)
#   --build-dir DIR    where the programs are built (default $TMPDIR/csnet-bench)
#   --out DIR          where the CSV, table and chart go (default: the build dir)
#   --bindir DIR       use bench_raw/bench_csnet/bench_asio already built there (CMake)
#   --impls LIST       programs, from: raw,csnet,csnet_str,asio,py (default all)
#   --tests LIST       from: tcp_pingpong,tcp_stream,udp_pingpong,accept (default all)
#   --no-compile-cost  skip the include-cost measurement
#   --report-only      no runs: remake the table and chart from the CSV files in --out
# Environment: CXX (default g++), BENCH_CXXFLAGS (added when building, e.g. -Werror),
#   BENCH_COMPILERS (include cost; default "$CXX clang++"), PYTHON (default python3),
#   BENCH_CPU, BENCH_BUILD_DIR (as --cpu, --build-dir).
#
# Exits non-zero only on a real failure (a program that does not build or a run that
# fails); a missing optional part (asio, python3, clang++, gnuplot, taskset) is skipped
# with a message.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench

smoke=0
reps=
cpu=${BENCH_CPU:-0}
build=${BENCH_BUILD_DIR:-${TMPDIR:-/tmp}/csnet-bench}
out=
bindir=
impls="raw,csnet,csnet_str,asio,py"
tests="tcp_pingpong,tcp_stream,udp_pingpong,accept"
compile_cost=1
report_only=0
CXX=${CXX:-g++}
PYTHON=${PYTHON:-python3}

while [ $# -gt 0 ]; do
    case $1 in
        --smoke) smoke=1 ;;
        --reps) reps=$2; shift ;;
        --cpu) cpu=$2; shift ;;
        --build-dir) build=$2; shift ;;
        --out) out=$2; shift ;;
        --bindir) bindir=$2; shift ;;
        --impls) impls=$2; shift ;;
        --tests) tests=$2; shift ;;
        --no-compile-cost) compile_cost=0 ;;
        --report-only) report_only=1 ;;
        -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
impls=${impls//,/ }
tests=${tests//,/ }

# ---- Sizes: every run is bounded in count AND in time ---------------------------------
if [ $smoke = 1 ]; then
    : "${reps:=1}"
    pingpong_args=(--count 2000 --seconds 0.2)
    stream_args=(--total $((64 << 20)) --chunk $((1 << 20)) --seconds 1)
    accept_args=(--count 300 --seconds 0.2)
    compilers=${BENCH_COMPILERS:-$CXX}
    compile_reps=1
else
    : "${reps:=11}"
    pingpong_args=(--count 200000 --seconds 0.5)
    stream_args=(--total $((1 << 30)) --chunk $((1 << 20)) --seconds 5)
    accept_args=(--count 100000 --seconds 0.5)
    compilers=${BENCH_COMPILERS:-$CXX clang++}
    compile_reps=7
fi
: "${out:=$build}"
mkdir -p "$build" "$out" || exit 1

failures=0
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }
note() { echo "note: $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---- Pinning (see ../shared/BENCHMARKING.md: unpinned ping-pong swings 4-5x) -------
pin=()
if [ "$cpu" = none ]; then
    note "not pinned (--cpu none): ping-pong figures will be noisy"
elif ! have taskset; then
    note "not pinned: taskset not found; ping-pong figures will be noisy"
elif ! taskset -c "$cpu" true 2>/dev/null; then
    note "not pinned: CPU $cpu is not available"
else
    pin=(taskset -c "$cpu")
fi
guard=()
have timeout && guard=(timeout 120)

if [ $report_only = 0 ]; then  # (up to the summary)

# ---- Build ------------------------------------------------------------------------------
WARN=(-Wall -Wextra -Wpedantic -Wconversion -Wshadow)
# shellcheck disable=SC2206  # BENCH_CXXFLAGS is a list of flags
WARN+=(${BENCH_CXXFLAGS:-})
have_asio=0
if echo '#include <asio.hpp>' | $CXX -std=c++17 -DASIO_STANDALONE -x c++ -E - >/dev/null 2>&1; then
    have_asio=1
fi

# build_one NAME SOURCE FLAGS...: rebuild unless the stamp (compiler, flags, and a checksum
# of every source it reads) is the one of the last build; so a build folder shared by
# several clones never runs another clone's program.
build_one() {
    local name=$1 src=$2
    shift 2
    local bin=$build/$name sources=("$src" "$BENCH/common.hpp")
    [ "$name" = bench_csnet ] && sources+=("$ROOT/include/csnet.hpp")
    local stamp
    stamp="$CXX -std=c++17 -O2 -DNDEBUG ${WARN[*]} $* $(cat "${sources[@]}" | cksum)"
    if [ -x "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    echo "building $name ($CXX -O2)"
    rm -f "$bin.stamp"
    if $CXX -std=c++17 -O2 -DNDEBUG "${WARN[@]}" "$@" "$src" -o "$bin"; then
        echo "$stamp" >"$bin.stamp"
    else
        rm -f "$bin"
        return 1
    fi
}

wants() { case " $impls " in *" $1 "*) return 0 ;; esac; return 1; }
drop() { impls=$(echo " $impls " | sed "s/ $1 / /; s/^ //; s/ \$//"); }

if [ -n "$bindir" ]; then
    bins=$bindir
    if wants asio && ! [ -x "$bins/bench_asio" ]; then
        note "skipping asio: $bins/bench_asio was not built (is libasio-dev installed?)"
        drop asio
    fi
else
    bins=$build
    if wants raw; then build_one bench_raw "$BENCH/bench_raw.cpp" || { fail "bench_raw does not build"; drop raw; }; fi
    if wants csnet || wants csnet_str; then
        if [ ! -f "$ROOT/include/csnet.hpp" ]; then
            fail "include/csnet.hpp not found"; drop csnet; drop csnet_str
        elif ! build_one bench_csnet "$BENCH/bench_csnet.cpp" -I"$ROOT/include"; then
            fail "bench_csnet does not build"; drop csnet; drop csnet_str
        fi
    fi
    if wants asio; then
        if [ $have_asio = 0 ]; then
            note "skipping asio: <asio.hpp> not found (Debian/Ubuntu: apt install libasio-dev)"
            drop asio
        elif ! build_one bench_asio "$BENCH/bench_asio.cpp" -DASIO_STANDALONE -pthread; then
            fail "bench_asio does not build"; drop asio
        fi
    fi
fi
if wants py && ! have "$PYTHON"; then
    note "skipping python: $PYTHON not found"
    drop py
fi

# ---- Runtime benchmarks, interleaved ----------------------------------------------------
load_before=$(uptime | sed 's/.*load average: //')
runs=$out/runs.csv
echo "test,impl,rep,n,seconds,rate,p50_us,p99_us" >"$runs"

command_for() {  # impl -> the program to run
    case $1 in
        raw) echo "$bins/bench_raw" ;;
        csnet | csnet_str) echo "$bins/bench_csnet" ;;
        asio) echo "$bins/bench_asio" ;;
        py) echo "$PYTHON $BENCH/bench_py.py" ;;
    esac
}

run_one() {  # test impl rep -> appends to runs.csv, prints the figure
    local test=$1 impl=$2 rep=$3 args=() result rc
    case $test in
        tcp_pingpong | udp_pingpong) args=("${pingpong_args[@]}") ;;
        tcp_stream) args=("${stream_args[@]}") ;;
        accept) args=("${accept_args[@]}") ;;
    esac
    [ "$impl" = csnet_str ] && args+=(--api string)
    # shellcheck disable=SC2046  # command_for's words are meant to split
    result=$("${guard[@]}" "${pin[@]}" $(command_for "$impl") "$test" "${args[@]}" 2>"$build/last.err")
    rc=$?
    result=$(echo "$result" | grep '^RESULT ')
    if [ $rc != 0 ] || [ -z "$result" ]; then
        fail "$impl $test (exit $rc): $(head -c 400 "$build/last.err")"
        printf ' %s=FAILED' "$impl"
        return
    fi
    echo "$result" | awk -v rep="$rep" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        printf "%s,%s,%s,%s,%s,%s,%s,%s\n", f["test"], f["impl"], rep, f["n"], f["seconds"],
               f["rate"], f["p50_us"], f["p99_us"]
    }' >>"$runs"
    local rate=${result##* rate=}
    printf ' %s=%s' "$impl" "${rate%% *}"
}

pinned_note="pinned to CPU $cpu"
[ ${#pin[@]} = 0 ] && pinned_note="NOT pinned"
echo "runtime: $reps interleaved reps, $pinned_note, load average $load_before"
for test in $tests; do
    order=""
    for impl in $impls; do
        [ "$impl" = csnet_str ] && [ "$test" = accept ] && continue  # nothing to receive
        order="$order $impl"
    done
    reversed=""
    for impl in $order; do reversed="$impl $reversed"; done
    for rep in $(seq 1 "$reps"); do
        # A B C ... then ... C B A: both linear drift and order effects cancel in pairs.
        if [ $((rep % 2)) = 1 ]; then list=$order; else list=$reversed; fi
        printf '%-13s rep %d/%d:' "$test" "$rep" "$reps"
        for impl in $list; do run_one "$test" "$impl" "$rep"; done
        echo
    done
done

# ---- Include cost -------------------------------------------------------------------------
compile_csv=$out/compile.csv
echo "compiler,program,rep,seconds" >"$compile_csv"
if [ $compile_cost = 1 ]; then
    programs="system csnet asio system_client csnet_client asio_client"
    [ -f "$ROOT/include/csnet.hpp" ] || programs=${programs//csnet_client/}
    [ -f "$ROOT/include/csnet.hpp" ] || programs=${programs//csnet /}
    [ $have_asio = 1 ] || programs=$(echo "$programs" | sed 's/asio_client//; s/asio//')
    ccs=""
    for cc in $compilers; do
        if have "$cc"; then ccs="$ccs $cc"; else note "include cost: $cc not found, skipped"; fi
    done
    first=1
    [ $smoke = 1 ] && first=0  # smoke: no warm-up round
    echo "include cost: $compile_reps interleaved reps (-O0 -c) with:$ccs"
    for rep in $(seq $((1 - first)) "$compile_reps"); do
        for cc in $ccs; do
            for p in $programs; do
                t0=$EPOCHREALTIME
                if ! $cc -std=c++17 -O0 -c -DASIO_STANDALONE -I"$ROOT/include" \
                    "$BENCH/include_cost/$p.cpp" -o "$build/include_cost.o" 2>"$build/last.err"; then
                    fail "include cost: $cc $p.cpp does not compile: $(head -c 400 "$build/last.err")"
                    continue
                fi
                t1=$EPOCHREALTIME
                [ "$rep" = 0 ] && continue  # warm-up: files in the page cache
                echo "$cc,$p,$rep,$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" >>"$compile_csv"
            done
        done
        [ "$rep" = 0 ] || printf '.'
    done
    echo
fi

load_after=$(uptime | sed 's/.*load average: //')
cat >"$out/meta.sh" <<EOF
measured="$(date -u '+%Y-%m-%d %H:%M UTC')"
reps="$reps"
pinned_note="$pinned_note"
load_before="$load_before"
load_after="$load_after"
compiler="$CXX"
EOF
else
    # shellcheck disable=SC1091  # written by an earlier run
    . "$out/meta.sh" || { echo "run.sh: no earlier run in $out" >&2; exit 1; }
    runs=$out/runs.csv
    compile_csv=$out/compile.csv
fi

# ---- Summary: CSV, Markdown table, chart ------------------------------------------------
results=$out/results.csv
compile_results=$out/compile_results.csv
awk -v mode=runs -f "$BENCH/summary.awk" "$runs" >"$results"
awk -v mode=compile -f "$BENCH/summary.awk" "$compile_csv" >"$compile_results"

table=$out/table.md
{
    echo "Measured ${measured:-$(date -u '+%Y-%m-%d %H:%M UTC')} on $(uname -sr), $(nproc 2>/dev/null || echo '?') CPUs" \
        "($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')), ${compiler:-$CXX} -O2," \
        "$reps interleaved reps, $pinned_note; load average (1, 5, 15 min) before: $load_before; after: $load_after."
    echo
    awk -F, 'NR > 1 {
        n = split($0, f, ",")
        fig = $1 ", " $2
        if ($3 == "lower") fig = fig " (lower is better)"
        if (NR == 2) {
            print "| figure (median) | raw | csnet | csnet recv() | asio | python | csnet/raw | csnet/asio | csnet ≥ 0.97×raw | csnet ≥ asio |"
            print "|---|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|"
        }
        line = "| " fig
        for (i = 4; i <= 8; i++) line = line " | " num($i, $2)
        line = line " | " rat($9) " | " rat($10)
        if ($3 == "higher") line = line " | " ok($9, 0.97) " | " ok($10, 1.0)
        else line = line " | | "
        print line " |"
    }
    function num(x, unit) {
        if (x == "") return "-"
        if (unit == "GB/s") return sprintf("%.2f", x)
        if (unit == "us") return sprintf("%.1f", x)
        return sprintf("%.0f", x)
    }
    function rat(x) { return x == "" ? "-" : sprintf("%.3f", x) }
    function ok(x, t) { return x == "" ? "-" : (x >= t ? "yes" : "**no**") }' "$results"
    echo
    echo "Ratios are medians of per-pair ratios (each pair ran side by side). csnet recv():"
    echo "csnet with recv()/recvfrom() returning std::string instead of recv_into (informative)."
    echo "Other ratios to raw (per-pair medians):"
    awk -F, 'NR > 1 && $3 == "higher" {
        printf "%s: csnet recv() %s, asio %s, python %s. ", $1, r($11), r($12), r($13) }
        function r(x) { return x == "" ? "-" : sprintf("%.3f", x) }' "$results"
    echo
    if [ "$(wc -l <"$compile_results")" -gt 1 ]; then
        echo
        awk -F, 'NR > 1 { t[$1, $2] = $3; if (!($1 in seen)) { seen[$1] = 1; cc[++n] = $1 } }
        END {
            print "| compile time, -O0 -c (median, s) | system headers + <string> | csnet.hpp | asio.hpp | csnet/asio | csnet ≤ asio/5 | csnet − system |"
            print "|---|---:|---:|---:|---:|:-:|---:|"
            for (i = 1; i <= n; i++) {
                row(cc[i], "include only", "system", "csnet", "asio")
                row(cc[i], "small client", "system_client", "csnet_client", "asio_client")
            }
        }
        function g(c, p) { return ((c SUBSEP p) in t) ? t[c, p] : "" }
        function row(c, what, s, m, a,    vs, vm, va, r) {
            vs = g(c, s); vm = g(c, m); va = g(c, a)
            if (vs == "" && vm == "" && va == "") return
            r = (vm != "" && va != "" && va > 0) ? vm / va : ""
            printf "| %s, %s | %s | %s | %s | %s | %s | %s |\n", c, what, f(vs), f(vm), f(va),
                r == "" ? "-" : sprintf("%.3f", r), r == "" ? "-" : (r <= 0.2 ? "yes" : "**no**"),
                (vm != "" && vs != "") ? sprintf("%+.3f", vm - vs) : "-"
        }
        function f(x) { return x == "" ? "-" : sprintf("%.3f", x) }' "$compile_results"
    fi
} >"$table"
echo
cat "$table"

# The chart: ratios to raw for each runtime figure, and compile times.
if have gnuplot; then
    chart=$out/ratios.png
    awk -F, 'NR > 1 && $3 == "higher" {
        printf "%s\t%s\t%s\t%s\t%s\n", $1, d($9), d($11), d($12), d($13) }
        function d(x) { return x == "" ? "NaN" : x }' "$results" >"$build/ratios.dat"
    awk -F, 'NR > 1 { t[$1, $2] = $3; if (!($1 in seen)) { seen[$1] = 1; cc[++n] = $1 } }
        END { for (i = 1; i <= n; i++)
            printf "%s\t%s\t%s\t%s\n", cc[i], d(cc[i], "system"), d(cc[i], "csnet"), d(cc[i], "asio") }
        function d(c, p) { return ((c SUBSEP p) in t) ? t[c, p] : "NaN" }' "$compile_results" >"$build/compile.dat"
    # plot_clauses FILE LABELCOL LABEL "COLUMN|TITLE|COLOUR" ...: the plot clauses for the
    # columns that have data, and LABEL (a gnuplot expression) written above LABELCOL's bars.
    plot_clauses() {
        local file=$1 labelcol=$2 label=$3 spec col title colour clauses="" n=0 at=-1
        shift 3
        for spec in "$@"; do
            IFS='|' read -r col title colour <<<"$spec"
            awk -F'\t' -v c="$col" '$c != "NaN" { found = 1 } END { exit !found }' "$file" || continue
            if [ -z "$clauses" ]; then clauses="\"$file\" using $col:xtic(1)"
            else clauses="$clauses, \"\" using $col"; fi
            clauses="$clauses title \"$title\" lc rgb \"$colour\""
            [ "$col" = "$labelcol" ] && at=$n
            n=$((n + 1))
        done
        # A clustered histogram puts bar j of n at x = cluster + (j - (n-1)/2) / (n + gap).
        [ $at -ge 0 ] && clauses="$clauses, \"\" using (\$0 + ($at - ($n - 1) / 2.0) / ($n + 1.0)):$labelcol:($label) with labels offset 0,0.7 font \",9\" notitle"
        echo "$clauses"
    }
    # shellcheck disable=SC2016  # $2, $3, $4 are gnuplot's columns
    runtime_plot=$(plot_clauses "$build/ratios.dat" 2 'sprintf("%.3f", $2)' \
        '2|csnet (recv\\_into)|#1f77b4' '3|csnet (recv, std::string)|#9ecae1' \
        '4|asio sync|#ff7f0e' '5|python|#2ca02c')
    # shellcheck disable=SC2016
    compile_plot=$(plot_clauses "$build/compile.dat" 3 'sprintf("%.2f of asio", $3/$4)' \
        '2|system headers + <string>|#7f7f7f' '3|csnet.hpp|#1f77b4' '4|asio.hpp|#ff7f0e')
    if [ -n "$runtime_plot" ]; then
        {
            echo 'set terminal pngcairo size 1200,520 font "sans,10"'
            echo "set output \"$chart\""
            echo "set multiplot layout 1,2 title \"csnet benchmarks ($reps interleaved reps, $pinned_note)\""
            printf '%s\n' 'set datafile separator "\t"'
            echo 'set style data histograms; set style histogram clustered gap 1'
            echo 'set style fill solid 0.85 border -1; set boxwidth 0.9; set grid ytics'
            echo 'set key top left horizontal maxcols 2 samplen 2; set offsets 0, 0, graph 0.25, 0'
            echo 'set title "runtime: median of per-pair ratios to raw sockets (higher is better)"'
            echo 'set yrange [0:*]; set ylabel "ratio to raw"'
            echo 'set arrow 1 from graph 0, first 0.97 to graph 1, first 0.97 nohead dt 2 lc rgb "red"'
            echo 'set arrow 2 from graph 0, first 1.0 to graph 1, first 1.0 nohead lc rgb "black"'
            echo "plot $runtime_plot"
            echo 'unset arrow 1; unset arrow 2'
            echo 'set title "include cost: compile time, -O0 -c, include only (lower is better)"'
            echo 'set yrange [0:*]; set ylabel "seconds (median)"'
            [ -n "$compile_plot" ] && echo "plot $compile_plot"
            echo 'unset multiplot'
        } >"$build/chart.gp"
        gnuplot "$build/chart.gp" >"$build/gnuplot.log" 2>&1 ||
            fail "gnuplot: $(head -c 400 "$build/gnuplot.log")"
        [ -f "$chart" ] && echo "chart: $chart"
    fi
else
    note "no chart: gnuplot not found (Debian: apt install gnuplot-nox)"
fi
echo "CSV: $runs $results $compile_csv $compile_results; table: $table"

if [ $failures -gt 0 ]; then
    echo "run.sh: $failures failure(s)" >&2
    exit 1
fi
exit 0
