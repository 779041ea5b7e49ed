#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROOT, JOBS, GENERATOR and WORK are for the scripts that source this file
# .ci/lib.sh - the prologue every CI script shares. Source it first:
#     source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#     ci_init NAME            # names the script in its messages
#     ci_workdir SUBDIR       # sets WORK: a fresh folder for build trees
# It turns on `set -euo pipefail` and defines:
#   ROOT       the repository's top folder
#   JOBS       parallel jobs (CSNET_CI_JOBS, default 2: the machines have 2 cores)
#   GENERATOR  (-G Ninja) when ninja is installed, else empty
#   section TEXT, fail TEXT, need PROGRAM HOW-TO-INSTALL, have PROGRAM
# WORK is under CSNET_CI_DIR when that is set (kept), else a temporary folder that is
# removed on success and kept, with a message, on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${CSNET_CI_JOBS:-2}"
GENERATOR=()
if command -v ninja >/dev/null 2>&1; then GENERATOR=(-G Ninja); fi
CI_NAME=ci

ci_init() { CI_NAME="$1"; }
section() { printf '\n==================== %s: %s ====================\n' "$CI_NAME" "$*"; }
fail() { printf '\n**** %s FAILED: %s ****\n' "$CI_NAME" "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
need() { have "$1" || fail "$1 not found ($2)"; }

ci_workdir() {
    if [[ -n "${CSNET_CI_DIR:-}" ]]; then
        WORK="$CSNET_CI_DIR/$1"
        rm -rf "$WORK"
        mkdir -p "$WORK"
    else
        WORK="$(mktemp -d "${TMPDIR:-/tmp}/csnet-$1.XXXXXX")"
        trap ci_cleanup EXIT
    fi
}
ci_cleanup() {
    local status=$?
    if [[ $status -eq 0 ]]; then
        rm -rf "$WORK"
    else
        echo "$CI_NAME: build folders kept in $WORK" >&2
    fi
}
