#!/usr/bin/env bash
# Windows (Winsock) CI without Windows: cross-build csnet's whole test suite with
# MinGW-w64 (cmake/mingw-w64-x86_64.cmake, warnings as errors, static .exe), run
# it under Wine through ctest, then build and run a small check of the
# <windows.h> / <csnet.hpp> include order (tests/consumer/windows_h/).
# Needs: g++-mingw-w64-x86-64-posix, wine, doctest-dev (for doctest.h), cmake.
# Build folders go to a temporary directory (CSNET_CI_DIR=<dir> keeps them).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init windows
ci_workdir windows
OUT="$WORK"
TRIPLE=x86_64-w64-mingw32

CXX_MINGW=""
for candidate in "$TRIPLE-g++-posix" "$TRIPLE-g++"; do
    if command -v "$candidate" >/dev/null 2>&1; then CXX_MINGW="$(command -v "$candidate")"; break; fi
done
[[ -n "$CXX_MINGW" ]] || fail "MinGW-w64 not found (apt install g++-mingw-w64-x86-64-posix)"
command -v wine >/dev/null 2>&1 || fail "wine not found (apt install wine)"
DOCTEST_H="${CSNET_DOCTEST_H:-/usr/include/doctest/doctest.h}"
[[ -f "$DOCTEST_H" ]] || fail "$DOCTEST_H not found (apt install doctest-dev, or set CSNET_DOCTEST_H)"

# Wine: quiet, and a prefix of our own unless the caller chose one. The first
# start creates the prefix (~10 s); do it now, not inside a timed test.
export WINEDEBUG=-all
export WINEPREFIX="${WINEPREFIX:-$HOME/.wine-csnet-ci}"
export WINEARCH=win64
export WINEDLLOVERRIDES="mscoree,mshtml="   # no Mono/Gecko install dialogs
section "warm up Wine ($(wine --version)) in $WINEPREFIX"
timeout 300 wineboot -i || fail "wineboot -i failed or timed out"
timeout 120 wineserver -w || true   # wait until the prefix is fully set up

section "cross-build the test suite with $CXX_MINGW (-Werror)"
BUILD="$OUT/mingw"
# doctest is header-only: give the MinGW build its own copy instead of the
# host's /usr/include (which a cross compiler must never see).
mkdir -p "$BUILD/_doctest/include/doctest"
cp "$DOCTEST_H" "$BUILD/_doctest/include/doctest/doctest.h"
failed=()
if cmake -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" \
        -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/mingw-w64-x86_64.cmake" \
        -DCMAKE_CXX_COMPILER="$CXX_MINGW" \
        -DCMAKE_BUILD_TYPE=Release \
        -DCSNET_BUILD_TESTS=ON -DCSNET_BUILD_EXAMPLES=OFF -DCSNET_WERROR=ON \
        -DCSNET_DOCTEST_INCLUDE_DIR="$BUILD/_doctest/include" \
    && cmake --build "$BUILD" -j "$JOBS"; then
    section "run the test suite under Wine (ctest, wine as the emulator)"
    # Each test gets a generous timeout (Wine starts slowly); the whole run too.
    if ! timeout 1800 ctest --test-dir "$BUILD" --output-on-failure --no-tests=error --timeout 600; then
        echo "**** windows.sh: the test suite FAILED under Wine (carrying on) ****" >&2
        failed+=("test suite under Wine")
    fi
else
    echo "**** windows.sh: the MinGW build of the test suite FAILED (carrying on) ****" >&2
    failed+=("MinGW build of the test suite")
fi

section "include order: <windows.h> and <csnet.hpp> both ways, std::min/std::max"
CHECK_SRC="$ROOT/tests/consumer/windows_h"
CHECK_EXE="$OUT/windows_h/windows_h.exe"
mkdir -p "$OUT/windows_h"
out=""
if "$CXX_MINGW" -std=c++17 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror \
        -I "$ROOT/include" \
        "$CHECK_SRC/windows_first.cpp" "$CHECK_SRC/nominmax_first.cpp" \
        "$CHECK_SRC/csnet_first.cpp" "$CHECK_SRC/main.cpp" \
        -static -static-libgcc -static-libstdc++ -lws2_32 -o "$CHECK_EXE" \
    && out="$(timeout 120 wine "$CHECK_EXE" | tr -d '\r')" \
    && [[ "$out" == "OK" ]]; then
    echo "$CHECK_EXE -> $out"
else
    echo "**** windows.sh: include-order check FAILED (output: '$out') ****" >&2
    failed+=("include-order check")
fi

if [[ ${#failed[@]} -gt 0 ]]; then fail "${failed[*]}"; fi
section "passed: MinGW test suite under Wine, include order"
