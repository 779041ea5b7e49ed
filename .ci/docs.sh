#!/usr/bin/env bash
# The docs check: every command a reader is told to type works as written.
#
# For README*.md, examples/README*.md, docs/*.md and the lessons' examples/*/README*.md:
#  - every ```sh block is run, in a fresh copy of the tree, in the order of the page,
#    with `bash -e`, no standard input and a time limit;
#  - every path build/... (or builddir/...) that the page names, in a block or in the
#    text, must exist at the point where the page names it, after the blocks before it.
# Each page starts from what its reader has: README*.md from a fresh clone, every other
# page from a clone where README's first command (cmake --workflow --preset first-pair)
# has run. So a page that names build/examples/X must itself build X first.
#
# A block that cannot run here says so in the line just before it:
#   <!-- ci: skip (two terminals) -->     not run (its build/... paths are still checked)
#   <!-- ci: mingw -->                    a Windows hand build: run with g++ as MinGW-w64's
#                                         cross compiler; the .exe must need no MinGW DLL
# Lesson pages (examples/<lesson>/README*.md) are checked tolerantly: only their build
# commands (cmake --build, cmake --workflow, meson compile) run unless a block is marked
# <!-- ci: run -->; their paths are checked all the same.
#
# Usage: bash .ci/docs.sh            (CSNET_CI_DIR=<dir> keeps the copy there)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init docs
ci_workdir docs
OUT="$WORK"
start=$SECONDS

# A fresh clone: the files git knows (committed or not, not ignored), nothing built.
CLONE="$OUT/csnet"
mkdir -p "$CLONE"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
        tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$CLONE"
else
    (cd "$ROOT" && tar --exclude='./build' --exclude='./build-*' --exclude='./builddir' -cf - .) |
        tar -xf - -C "$CLONE"
fi

MINGW_CXX=""
for candidate in x86_64-w64-mingw32-g++-posix x86_64-w64-mingw32-g++; do
    if command -v "$candidate" >/dev/null 2>&1; then MINGW_CXX="$(command -v "$candidate")"; break; fi
done
export CSNET_DOCS_MINGW_CXX="$MINGW_CXX"

python3 - "$CLONE" "$OUT" <<'PYTHON'
import glob, os, re, shutil, subprocess, sys, time

clone, out = sys.argv[1], sys.argv[2]
os.chdir(clone)
BLOCK_SECONDS = 900
errors, warnings = [], []

def pages():
    top = sorted(glob.glob("README*.md"))
    rest = sorted(glob.glob("examples/README*.md")) + sorted(glob.glob("docs/*.md"))
    lessons = sorted(glob.glob("examples/*/README*.md"))
    return [(p, "fresh", False) for p in top] + [(p, "first-pair", False) for p in rest] + \
           [(p, "first-pair", True) for p in lessons]

MARK = re.compile(r"<!--\s*ci:\s*(skip|mingw|run)\b[^>]*-->")
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
PATH = re.compile(r"(?<![\w/.-])(?:\./)?((?:build|builddir)/[A-Za-z0-9_./-]*)")

def parse(page):
    """The page as a list of ('text', line_no, text) and ('block', line_no, lang, mark, body)."""
    items, lines = [], open(page, encoding="utf-8").read().split("\n")
    i, mark = 0, None
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m:
            lang, start, body = m.group(2), i + 1, []
            i += 1
            while i < len(lines) and not FENCE.match(lines[i]):
                body.append(lines[i])
                i += 1
            items.append(("block", start, lang, mark, "\n".join(body)))
            mark = None
        else:
            found = MARK.search(lines[i])
            if found:
                mark = found.group(1)
            elif lines[i].strip():
                mark = None if not lines[i].strip().startswith("<!--") else mark
            items.append(("text", i + 1, lines[i]))
        i += 1
    return items

def named_paths(text):
    paths = []
    for m in PATH.finditer(text):
        p = m.group(1).rstrip(".,:;)`'\"")
        if "<" in p or "*" in p or p.endswith("/Debug"):
            continue
        paths.append(p)
    return paths

BUILD_ONLY = re.compile(r"^(cmake --build |cmake --workflow |meson compile |meson setup )")

def is_build_only(body):
    commands = [l.split("#")[0].strip() for l in body.split("\n")]
    commands = [c for c in commands if c]
    return bool(commands) and all(BUILD_ONLY.match(c) for c in commands)

def run_block(page, line, body, mingw):
    script = body
    if mingw:
        cxx = os.environ.get("CSNET_DOCS_MINGW_CXX", "")
        if not cxx:
            warnings.append(f"{page}:{line}: MinGW-w64 not installed: the Windows hand build was not tried")
            return
        script = f'g++() {{ "{cxx}" "$@"; }}\n' + body
    t0 = time.time()
    print(f"docs: {page}:{line}: running\n    " + body.replace("\n", "\n    "), flush=True)
    try:
        result = subprocess.run(["bash", "-e", "-c", script], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                timeout=BLOCK_SECONDS, text=True, errors="replace")
        output, status = result.stdout, result.returncode
    except subprocess.TimeoutExpired as e:
        output, status = (e.stdout or "") if isinstance(e.stdout, str) else "", "timeout"
    print(f"docs: {page}:{line}: exit {status} in {time.time() - t0:.0f} s", flush=True)
    if status != 0:
        errors.append(f"{page}:{line}: the block failed (exit {status}); its last lines:\n" +
                      "\n".join(output.rstrip().split("\n")[-15:]))
        return
    if mingw:
        for exe in re.findall(r"-o\s+(\S+\.exe)", body):
            dump = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", exe], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace").stdout
            dlls = sorted(set(re.findall(r"DLL Name: (\S+)", dump)))
            extra = [d for d in dlls if d.lower().startswith(("libstdc++", "libgcc", "libwinpthread"))]
            if extra:
                errors.append(f"{page}:{line}: {exe} needs {', '.join(extra)} beside it (link with -static)")
            else:
                print(f"docs: {page}:{line}: {exe} needs only {', '.join(dlls)}", flush=True)

def reset(state):
    for folder in ("build", "builddir"):
        shutil.rmtree(folder, ignore_errors=True)
    if state == "first-pair":
        shutil.copytree(os.path.join(out, "baseline-build"), "build", symlinks=True)

# What every page but README starts from: README's first command, run once.
print("docs: the baseline: cmake --workflow --preset first-pair", flush=True)
t0 = time.time()
baseline = subprocess.run(["cmake", "--workflow", "--preset", "first-pair"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
if baseline.returncode != 0:
    print(baseline.stdout)
    sys.exit("docs: README's first command failed")
print(f"docs: baseline ready in {time.time() - t0:.0f} s", flush=True)
shutil.move("build", os.path.join(out, "baseline-build"))

for page, state, lesson in pages():
    reset(state)
    blocks = 0
    for item in parse(page):
        if item[0] == "text":
            for p in named_paths(item[2]):
                if not os.path.exists(p):
                    (warnings if lesson else errors).append(
                        f"{page}:{item[1]}: names {p}, which no command before it on this page has made")
            continue
        _, line, lang, mark, body = item
        runnable = lang == "sh" and mark != "skip" and (not lesson or mark == "run" or is_build_only(body))
        if runnable:
            blocks += 1
            run_block(page, line, body, mark == "mingw")
        for p in named_paths(body):
            if not os.path.exists(p):
                where = "made" if not runnable else "made (this block included)"
                (warnings if lesson else errors).append(
                    f"{page}:{line}: names {p}, which no command before it on this page has {where}")
    print(f"docs: {page}: {blocks} block(s) run", flush=True)
reset("fresh")

# README says Meson runs the same example tests as CMake, by the same names.
print("docs: comparing the example tests of CMake and Meson", flush=True)
shutil.copytree(os.path.join(out, "baseline-build"), "build", symlinks=True)
cmake_list = subprocess.run(["ctest", "-N", "-L", "examples"], cwd="build", stdout=subprocess.PIPE,
                            text=True).stdout
cmake_tests = sorted(re.findall(r"Test +#\d+: examples\.(\S+)", cmake_list))
if shutil.which("meson"):
    subprocess.run(["meson", "setup", "builddir", "-Dtests=disabled"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.STDOUT, check=True)
    meson_list = subprocess.run(["meson", "test", "-C", "builddir", "--list"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True).stdout
    meson_tests = sorted(re.findall(r"examples / (\S+)", meson_list))
    if cmake_tests != meson_tests:
        only_c = sorted(set(cmake_tests) - set(meson_tests))
        only_m = sorted(set(meson_tests) - set(cmake_tests))
        errors.append(f"README: CMake and Meson run different example tests: only CMake {only_c}, only Meson {only_m}")
    else:
        print(f"docs: the same {len(cmake_tests)} example tests in CMake and Meson", flush=True)
else:
    warnings.append("meson not installed: the example tests of CMake and Meson were not compared")
reset("fresh")

for w in warnings:
    print("docs: warning: " + w)
for e in errors:
    print("docs: ERROR: " + e)
if errors:
    sys.exit(f"docs: {len(errors)} error(s)")
print("docs: every page's commands and build paths hold")
PYTHON

echo "docs.sh: passed in $((SECONDS - start)) s"
