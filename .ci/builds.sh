#!/usr/bin/env bash
# CI builds of csnet's tests and examples on Linux, each in its own build folder:
#   gcc       g++,     Release, CSNET_WERROR=ON, ctest   (preset ci-gcc; lessons built, not run)
#   clang     clang++ with libc++ (macOS's standard library), Debug, CSNET_WERROR=ON, ctest
#             (preset ci-clang; lessons built, not run)
#   sanitize  g++ ASan+UBSan (CSNET_SANITIZE=address,undefined), Debug, WERROR, ctest (preset ci-sanitize)
#   meson     meson setup -Dwerror=true, meson test
# Usage: .ci/builds.sh [gcc] [clang] [sanitize] [meson]   (no argument: all four)
# Build folders go under a temporary folder, removed on success
# (CSNET_CI_DIR=<dir> puts them in <dir>/builds and keeps them).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init builds
ci_workdir builds
OUT="$WORK"

# cmake_build <name> <preset> [ctest args...]: configure with CMakePresets.json's
# ci-<name> preset (into our own folder), build, ctest.
cmake_build() {
    local name="$1" preset="$2"
    shift 2
    local dir="$OUT/$name"
    rm -rf "$dir"
    (cd "$ROOT" && cmake --preset "$preset" -B "$dir" "${GENERATOR[@]}") || fail "$name: configure"
    cmake --build "$dir" -j "$JOBS" || fail "$name: build"
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$JOBS" --timeout 300 "$@" \
        || fail "$name: tests"
}

# The lessons' tests (label "lessons": real clients, servers under load) run in
# README's own test command, under the sanitizers and with Meson; the Release and
# clang++ builds compile them (warnings as errors) and run everything else.
run_gcc() {
    section "gcc: g++ Release, warnings as errors, ctest"
    need g++ "apt install g++"
    cmake_build gcc ci-gcc -LE lessons
}

run_clang() {
    section "clang: clang++ with libc++ Debug, warnings as errors, ctest"
    need clang++ "apt install clang"
    cmake_build clang ci-clang -LE lessons
}

run_sanitize() {
    section "sanitize: g++ ASan+UBSan Debug, warnings as errors, ctest"
    need g++ "apt install g++"
    # LeakSanitizer works in this sandbox (checked: a deliberate leak is reported
    # and fails the run), so leaks fail the tests.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
    cmake_build sanitize ci-sanitize
}

run_meson() {
    section "meson: meson setup -Dwerror=true, meson test"
    need meson "apt install meson ninja-build"
    local dir="$OUT/meson"
    rm -rf "$dir"
    meson setup "$dir" "$ROOT" -Dwerror=true --buildtype=debug -Dtests=enabled -Dexamples=true \
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
