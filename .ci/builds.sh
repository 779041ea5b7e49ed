#!/usr/bin/env bash
# CI builds of csnet's tests and examples on Linux, each in its own build folder:
#   gcc       g++,     Release, CSNET_WERROR=ON, ctest
#   clang     clang++, Debug,   CSNET_WERROR=ON, ctest
#   sanitize  g++ ASan+UBSan (CSNET_SANITIZE=address,undefined), Debug, WERROR, ctest
#   meson     meson setup -Dwerror=true, meson test
# Usage: .ci/builds.sh [gcc] [clang] [sanitize] [meson]   (no argument: all four)
# Build folders go under a temporary build-ci folder, removed on success
# (CSNET_CI_DIR=<dir> puts them in <dir>/build-ci and keeps them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${CSNET_CI_JOBS:-2}"
if [[ -n "${CSNET_CI_DIR:-}" ]]; then
    OUT="$CSNET_CI_DIR/build-ci"
    mkdir -p "$OUT"
else
    TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/csnet-builds.XXXXXX")"
    OUT="$TMP_ROOT/build-ci"
    mkdir -p "$OUT"
    cleanup() {
        local status=$?
        if [[ $status -eq 0 ]]; then rm -rf "$TMP_ROOT"; else echo "builds.sh: build folders kept in $OUT" >&2; fi
    }
    trap cleanup EXIT
fi
GENERATOR=()
if command -v ninja >/dev/null 2>&1; then GENERATOR=(-G Ninja); fi

section() { printf '\n==================== builds: %s ====================\n' "$*"; }
fail() { printf '\n**** builds.sh FAILED: %s ****\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 not found ($2)"; }

# cmake_build <name> <c++ compiler> <build type> [extra cmake args...]: configure, build, ctest.
cmake_build() {
    local name="$1" cxx="$2" type="$3"
    shift 3
    local dir="$OUT/$name"
    rm -rf "$dir"
    cmake -S "$ROOT" -B "$dir" "${GENERATOR[@]}" \
        -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$type" \
        -DCSNET_BUILD_TESTS=ON -DCSNET_BUILD_EXAMPLES=ON -DCSNET_WERROR=ON "$@" \
        || fail "$name: configure"
    cmake --build "$dir" -j "$JOBS" || fail "$name: build"
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$JOBS" --timeout 300 \
        || fail "$name: tests"
}

run_gcc() {
    section "gcc: g++ Release, warnings as errors, ctest"
    need g++ "apt install g++"
    cmake_build gcc g++ Release
}

run_clang() {
    section "clang: clang++ Debug, warnings as errors, ctest"
    need clang++ "apt install clang"
    cmake_build clang clang++ Debug
}

run_sanitize() {
    section "sanitize: g++ ASan+UBSan Debug, warnings as errors, ctest"
    need g++ "apt install g++"
    # LeakSanitizer works in this sandbox (checked: a deliberate leak is reported
    # and fails the run), so leaks fail the tests.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
    cmake_build sanitize g++ Debug -DCSNET_SANITIZE=address,undefined
}

run_meson() {
    section "meson: meson setup -Dwerror=true, meson test"
    need meson "apt install meson ninja-build"
    local dir="$OUT/meson"
    rm -rf "$dir"
    meson setup "$dir" "$ROOT" -Dwerror=true --buildtype=debug -Dtests=true -Dexamples=true \
        || fail "meson: setup"
    meson compile -C "$dir" -j "$JOBS" || fail "meson: build"
    meson test -C "$dir" --print-errorlogs --num-processes "$JOBS" || fail "meson: tests"
}

steps=("$@")
if [[ ${#steps[@]} -eq 0 ]]; then steps=(gcc clang sanitize meson); fi
for step in "${steps[@]}"; do
    case "$step" in
        gcc|clang|sanitize|meson) ;;
        *) fail "unknown step '$step' (gcc, clang, sanitize, meson)" ;;
    esac
done
# Every step runs even when an earlier one failed (each in its own subshell),
# so one CI run shows every broken build; the exit status is the verdict.
failed=()
for step in "${steps[@]}"; do
    if ! ( "run_$step" ); then failed+=("$step"); fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
    section "FAILED: ${failed[*]} (of: ${steps[*]})"
    exit 1
fi
section "passed: ${steps[*]}"
