#!/usr/bin/env bash
# Packaging tests: tiny outside projects (tests/consumer/) that use csnet as a
# user would, each building and running a loopback ping program that prints OK:
#   1. find_package(csnet) after `cmake --install` to a temporary prefix
#   2. add_subdirectory(<csnet source>) (csnet's own tests/examples must stay off)
#   3. Meson subproject (subprojects/csnet -> the source tree)
#   4. pkg-config --cflags csnet after the install of step 1
# Build folders go to a temporary directory (CSNET_CI_DIR=<dir> keeps them).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init consumer
ci_workdir consumer

# Runs a consumer program and insists on exactly "OK".
run_consumer() {
    local exe="$1" out
    out="$(timeout 60 "$exe")" || fail "$exe exited with status $?"
    [[ "$out" == "OK" ]] || fail "$exe printed '$out', expected 'OK'"
    echo "$exe -> $out"
}

CONSUMER_SRC="$ROOT/tests/consumer"
PREFIX="$WORK/prefix"

section "install csnet to $PREFIX"
# Tests/examples off: installing must not need doctest or build anything.
cmake -S "$ROOT" -B "$WORK/csnet-build" "${GENERATOR[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCSNET_BUILD_TESTS=OFF -DCSNET_BUILD_EXAMPLES=OFF \
    -DCMAKE_INSTALL_PREFIX="$WORK/not-this-prefix"
cmake --build "$WORK/csnet-build" -j "$JOBS"
# --prefix differs from CMAKE_INSTALL_PREFIX on purpose: the package files must be relocatable.
cmake --install "$WORK/csnet-build" --prefix "$PREFIX"
for f in include/csnet.hpp share/cmake/csnet/csnetConfig.cmake \
         share/cmake/csnet/csnetConfigVersion.cmake share/cmake/csnet/csnetTargets.cmake \
         share/pkgconfig/csnet.pc; do
    [[ -f "$PREFIX/$f" ]] || fail "install did not produce $f"
done
[[ ! -e "$WORK/not-this-prefix" ]] || fail "install wrote into CMAKE_INSTALL_PREFIX despite --prefix"

section "1. find_package(csnet) from the installed prefix"
cmake -S "$CONSUMER_SRC/find_package" -B "$WORK/find_package" "${GENERATOR[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX"
cmake --build "$WORK/find_package" -j "$JOBS"
run_consumer "$WORK/find_package/consumer"

# The version is written once, in the header.
version_part() { sed -n "s/^#define CSNET_VERSION_$1 \([0-9]*\)$/\1/p" "$ROOT/include/csnet.hpp"; }
MAJOR=$(version_part MAJOR)
MINOR=$(version_part MINOR)
PATCH=$(version_part PATCH)
VERSION="$MAJOR.$MINOR.$PATCH"
NEXT_MINOR="$MAJOR.$((MINOR + 1))"

section "1b. find_package(csnet $NEXT_MINOR) must be refused (0.x: minor versions are not compatible)"
mkdir -p "$WORK/version-check"
cat > "$WORK/version-check/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.14)
project(csnet_version_check LANGUAGES NONE)
find_package(csnet $NEXT_MINOR QUIET)
if(csnet_FOUND)
  message(FATAL_ERROR "csnet $VERSION accepted a request for $NEXT_MINOR")
endif()
CMAKE
cmake -S "$WORK/version-check" -B "$WORK/version-check/build" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null \
    || fail "version check: csnet $VERSION was accepted for a $NEXT_MINOR request"
echo "find_package(csnet $NEXT_MINOR) correctly not found"

section "2. add_subdirectory(csnet source)"
cmake -S "$CONSUMER_SRC/add_subdirectory" -B "$WORK/add_subdirectory" "${GENERATOR[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCSNET_SOURCE_DIR="$ROOT"
cmake --build "$WORK/add_subdirectory" -j "$JOBS"
run_consumer "$WORK/add_subdirectory/consumer"
# Nothing of csnet's own (tests, examples) may have been built or registered.
own_programs="$(find "$WORK/add_subdirectory/csnet" -type f -perm -u+x)"
[[ -z "$own_programs" ]] || fail "add_subdirectory built programs of csnet's own: $own_programs"
[[ ! -e "$WORK/add_subdirectory/CTestTestfile.cmake" ]] || fail "csnet enabled testing in its parent"
echo "no csnet tests/examples built, no tests registered in the parent"

section "3. Meson subproject"
if command -v meson >/dev/null 2>&1; then
    mkdir -p "$WORK/meson-src"
    cp -R "$CONSUMER_SRC/meson" "$WORK/meson-src/meson"
    cp "$CONSUMER_SRC/main.cpp" "$WORK/meson-src/main.cpp"
    mkdir -p "$WORK/meson-src/meson/subprojects"
    ln -s "$ROOT" "$WORK/meson-src/meson/subprojects/csnet"
    meson setup "$WORK/meson-build" "$WORK/meson-src/meson" --buildtype=release
    meson compile -C "$WORK/meson-build" -j "$JOBS"
    run_consumer "$WORK/meson-build/consumer"
    # csnet is header-only: a subproject build must contain no target of csnet's own.
    if meson introspect --targets "$WORK/meson-build" | python3 -c '
import json, sys
own = [t["name"] for t in json.load(sys.stdin) if t.get("subproject") == "csnet"]
print("csnet targets in consumer:", own or "none")
sys.exit(1 if own else 0)'; then :; else fail "meson subproject built csnet tests/examples"; fi
    meson test -C "$WORK/meson-build" --print-errorlogs
else
    fail "meson not found (Debian: apt install meson ninja-build)"
fi

section "4. pkg-config --cflags csnet"
if command -v pkg-config >/dev/null 2>&1; then
    export PKG_CONFIG_PATH="$PREFIX/share/pkgconfig"
    pkg-config --exact-version="$VERSION" csnet || fail "pkg-config: csnet $VERSION not found"
    cflags="$(pkg-config --cflags csnet)"
    libs="$(pkg-config --libs csnet)"
    echo "cflags: $cflags   libs: $libs"
    # shellcheck disable=SC2086  # flags are meant to split
    ${CXX:-c++} -std=c++17 $cflags "$CONSUMER_SRC/main.cpp" -o "$WORK/pkgconfig-consumer" $libs
    run_consumer "$WORK/pkgconfig-consumer"
else
    fail "pkg-config not found (Debian: apt install pkgconf)"
fi

section "all consumer tests passed"
