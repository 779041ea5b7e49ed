#!/usr/bin/env bash
# .ci/format.sh - the layout is configured, not remembered: every C++ file that git
# tracks must be as clang-format (.clang-format) writes it, and every text file must
# end with a newline and have no trailing spaces (.editorconfig); shell scripts must
# pass the shellcheck linter.
#   .ci/format.sh          check (CI)
#   .ci/format.sh --fix    rewrite the files in place
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init format
cd "$ROOT"
fix=0
[[ "${1:-}" == "--fix" ]] && fix=1
CLANG_FORMAT="${CLANG_FORMAT:-clang-format}"
need "$CLANG_FORMAT" "apt install clang-format"

mapfile -t cpp < <(git ls-files '*.cpp' '*.hpp')
bad=()
for f in "${cpp[@]}"; do
    if [[ $fix -eq 1 ]]; then
        "$CLANG_FORMAT" -i "$f"
    elif ! "$CLANG_FORMAT" --dry-run --Werror "$f" 2>/dev/null; then
        bad+=("$f")
    fi
done
mapfile -t text < <(git ls-files | grep -vE '\.(png|pcapng|ico|jpg)$|^bench/results/|^tests/fuzz/corpus/|/transcripts/')
for f in "${text[@]}"; do
    [[ -f "$f" && -s "$f" ]] || continue
    if [[ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]]; then bad+=("$f (no newline at the end)"); fi
    case "$f" in
        *.md | *.txt | Makefile | *.mk) ;;
        *) if grep -qE '[[:blank:]]+$' "$f"; then bad+=("$f (trailing spaces)"); fi ;;
    esac
done
# The shell scripts: shellcheck clean (settings in .shellcheckrc).
if [[ $fix -eq 0 ]]; then
    need shellcheck "apt install shellcheck"
    mapfile -t scripts < <(git ls-files '*.sh' .ci/run | grep -v '^bench/results/')  # results/: data
    shellcheck "${scripts[@]}" || bad+=("shell scripts (shellcheck, above)")
fi
if [[ ${#bad[@]} -gt 0 ]]; then
    printf '%s\n' "${bad[@]}"
    fail "${#bad[@]} files are not laid out as .clang-format/.editorconfig say (fix: .ci/format.sh --fix)"
fi
echo "format: ${#cpp[@]} C++ files and ${#text[@]} text files as configured"
