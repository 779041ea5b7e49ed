#!/usr/bin/env bash
# CI for csnet's benchmarks: keep them building and working, in seconds (no real figures).
#   1. bench/run.sh --smoke   builds every program at -O2 (warnings as errors) and runs
#                             each benchmark once with tiny counts, plus the include-cost
#                             compile of each trivial program; writes CSV, table, chart;
#   2. the CMake bench targets (CSNET_BUILD_BENCH=ON, CSNET_WERROR=ON), run in smoke mode;
#   3. the Meson bench targets (-Dbench=true, werror), where meson is installed;
#   plus the lessons' benchmarks in smoke mode: bench/many_clients and bench/http.
# Missing optional parts (asio, python3, clang++, gnuplot, taskset, meson) are skipped
# with a message; exits non-zero only on a real failure.
# Build folders go under a temporary folder, removed on success (CSNET_CI_DIR=<dir> puts
# them in <dir>/bench-ci and keeps them).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e  # every part runs; the failures are collected and reported at the end
ci_init bench
ci_workdir bench
OUT="$WORK"

rm -rf "$OUT/smoke" "$OUT/cmake" "$OUT/cmake-run" "$OUT/meson" "$OUT/meson-setup.log"

failed=()

if [[ "$(uname -s)" == MINGW* || "$(uname -s)" == CYGWIN* || "$(uname -s)" == MSYS* ]]; then
    echo "bench.sh: the benchmarks are POSIX only; skipped"
    exit 0
fi

section "bench/run.sh --smoke"
BENCH_CXXFLAGS="-Werror" "$ROOT/bench/run.sh" --smoke --build-dir "$OUT/smoke" ||
    failed+=("bench/run.sh --smoke")

section "bench/many_clients/run.sh --smoke (selector, threads, raw poll loop, asio, Python)"
BENCH_CXXFLAGS="-Werror" "$ROOT/bench/many_clients/run.sh" --smoke --build-dir "$OUT/many" ||
    failed+=("bench/many_clients/run.sh --smoke")

section "bench/http/run.sh --smoke (http_server and CPython's http.server under ab)"
if have ab; then
    "$ROOT/bench/http/run.sh" --smoke --build-dir "$OUT/http" || failed+=("bench/http/run.sh --smoke")
else
    echo "ab not found (apt install apache2-utils): skipped"
fi

section "CMake: CSNET_BUILD_BENCH=ON, CSNET_WERROR=ON, then a smoke run"
if have cmake; then
    GENERATOR=()
    have ninja && GENERATOR=(-G Ninja)
    if cmake -S "$ROOT" -B "$OUT/cmake" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCSNET_BUILD_BENCH=ON -DCSNET_WERROR=ON -DCSNET_BUILD_TESTS=OFF \
        -DCSNET_BUILD_EXAMPLES=OFF &&
        cmake --build "$OUT/cmake" -j "$JOBS"; then
        "$ROOT/bench/run.sh" --smoke --no-compile-cost --bindir "$OUT/cmake/bench" \
            --build-dir "$OUT/cmake-run" || failed+=("run.sh on the CMake-built programs")
    else
        failed+=("CMake bench build")
    fi
else
    echo "cmake not found: skipped"
fi

section "Meson: -Dbench=true, werror"
if have meson && have ninja; then
    if meson setup "$OUT/meson" "$ROOT" -Dbench=true -Dtests=disabled -Dexamples=false \
        --buildtype=release -Dwerror=true >"$OUT/meson-setup.log" 2>&1 ||
        { cat "$OUT/meson-setup.log"; false; }; then
        grep -i "asio" "$OUT/meson-setup.log" || true
        ninja -C "$OUT/meson" -j "$JOBS" || failed+=("Meson bench build")
    else
        failed+=("Meson bench setup")
    fi
else
    echo "meson or ninja not found: skipped"
fi

if ((${#failed[@]})); then
    printf '\n**** bench.sh FAILED: %s ****\n' "${failed[@]}" >&2
    exit 1
fi
printf '\nbench.sh: OK\n'
