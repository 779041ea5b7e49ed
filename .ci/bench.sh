#!/usr/bin/env bash
# CI for csnet's benchmarks: keep them building and working, in seconds (no real figures).
#   1. bench/run.sh --smoke   builds every program at -O2 (warnings as errors) and runs
#                             each benchmark once with tiny counts, plus the include-cost
#                             compile of each trivial program; writes CSV, table, chart;
#   2. the CMake bench targets (CSNET_BUILD_BENCH=ON, CSNET_WERROR=ON), run in smoke mode;
#   3. the Meson bench targets (-Dbench=true, werror), where meson is installed.
# Missing optional parts (asio, python3, clang++, gnuplot, taskset, meson) are skipped
# with a message; exits non-zero only on a real failure.
# Build folders go under a temporary folder, removed on success (CSNET_CI_DIR=<dir> puts
# them in <dir>/bench-ci and keeps them).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${CSNET_CI_JOBS:-2}"
if [[ -n "${CSNET_CI_DIR:-}" ]]; then
    OUT="$CSNET_CI_DIR/bench-ci"
    mkdir -p "$OUT"
else
    TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/csnet-bench.XXXXXX")"
    OUT="$TMP_ROOT/bench-ci"
    mkdir -p "$OUT"
    cleanup() {
        local status=$?
        if [[ $status -eq 0 ]]; then rm -rf "$TMP_ROOT"; else echo "bench.sh: build folders kept in $OUT" >&2; fi
    }
    trap cleanup EXIT
fi

# Start from clean folders: a kept CSNET_CI_DIR may hold builds of another clone.
rm -rf "$OUT/smoke" "$OUT/cmake" "$OUT/cmake-run" "$OUT/meson" "$OUT/meson-setup.log"

section() { printf '\n==================== bench: %s ====================\n' "$*"; }
failed=()
have() { command -v "$1" >/dev/null 2>&1; }

if [[ "$(uname -s)" == MINGW* || "$(uname -s)" == CYGWIN* || "$(uname -s)" == MSYS* ]]; then
    echo "bench.sh: the benchmarks are POSIX only; skipped"
    exit 0
fi

section "bench/run.sh --smoke"
BENCH_CXXFLAGS="-Werror" "$ROOT/bench/run.sh" --smoke --build-dir "$OUT/smoke" ||
    failed+=("bench/run.sh --smoke")

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
    if meson setup "$OUT/meson" "$ROOT" -Dbench=true -Dtests=false -Dexamples=false \
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
