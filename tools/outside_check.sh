#!/usr/bin/env bash
# The project as a reader meets it outside this repository (make outside-check; CI runs it after
# make docs). It
#   1. builds the sdist and, from it, the wheel, from the files git tracks, in a temporary folder;
#   2. checks that both hold every module under helpers/ (subpackages included) and that the built
#      site ships this same wheel, linked from its landing page;
#   3. installs that wheel with its `lessons` extra, plus nbconvert and ipykernel to run notebooks,
#      into a fresh virtual environment in a temporary folder outside the checkout, every version
#      pinned by requirements/lock.txt (nothing resolved afresh);
#   4. from another temporary folder, beside a folder holding a decoy helpers.py, runs
#      `train-convert-predict --help`, `python -m helpers --help`, the demonstration, the imports of
#      helpers.serving and helpers.batch, and three notebooks downloaded from the built site (their
#      first cell must say how to install the package) with that environment's kernel.
# Each step prints its wall time; the first failure stops the check with a non-zero exit.
#
# Usage: tools/outside_check.sh [SITE]     SITE: the built HTML (default docs/_build/html)
# Environment: PYTHON (default python3), UV (default .venv/bin/uv), KEEP=1 keeps the temporary folder.
set -euo pipefail
set -o errtrace

repo=$(cd "$(dirname "$0")/.." && pwd)
site=${1:-$repo/docs/_build/html}
[ -f "$site/index.html" ] || { echo "outside check: no built site at $site (make docs)" >&2; exit 1; }
site=$(cd "$site" && pwd)
PYTHON=${PYTHON:-python3}
UV=${UV:-$repo/.venv/bin/uv}
lock=$repo/requirements/lock.txt
# the walkthrough, the web service, the text pipelines: the core, serving, and a lesson with helpers
notebooks=(plot_01_train_convert_predict plot_01_web_service plot_06_text_pipelines)

tmp=$(mktemp -d)
case "$tmp/" in
"$repo"/*) echo "outside check: $tmp is inside the checkout; point TMPDIR elsewhere" >&2; exit 1 ;;
esac
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "outside check: kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
current="setup"
trap 'echo "outside check: FAILED in step: $current" >&2' ERR

now() { date +%s.%N; }
started=$(now)
step() { # step "what it checks" command [args...]: run the command, print its wall time
    current=$1
    shift
    echo "==> $current"
    local t0
    t0=$(now)
    "$@"
    awk -v name="$current" -v t0="$t0" -v t1="$(now)" 'BEGIN { printf "<== %s: %.1f s\n", name, t1 - t0 }'
}
fail() { echo "outside check: $*" >&2; return 1; }

# 1. build -----------------------------------------------------------------------------------
copy_sources() { # the files git knows (a clean clone), so that nothing ignored or stale is built
    mkdir -p "$tmp/src"
    if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
            | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$tmp/src"
    else
        cp -a "$repo/." "$tmp/src/"
    fi
}
build() { # uv builds the sdist, then the wheel from the unpacked sdist
    "$UV" build --quiet --out-dir "$tmp/dist" "$tmp/src"
    wheel=$(echo "$tmp"/dist/*.whl)
    sdist=$(echo "$tmp"/dist/*.tar.gz)
    [ -f "$wheel" ] && [ -f "$sdist" ] || fail "uv build wrote no wheel or no sdist"
}
step "copy the files git tracks to $tmp/src" copy_sources
step "build the sdist and, from it, the wheel" build

# 2. contents --------------------------------------------------------------------------------
check_contents() { # every module under helpers/ of the checkout is in the wheel and the sdist
    (cd "$tmp/src" && find helpers -name '*.py' -not -path '*/__pycache__/*' | sort) >"$tmp/modules"
    unzip -Z1 "$wheel" | grep '^helpers/.*\.py$' | sort >"$tmp/wheel-modules"
    tar -tzf "$sdist" | sed 's|^[^/]*/||' | grep '^helpers/.*\.py$' | sort >"$tmp/sdist-modules"
    local missing
    for kind in wheel sdist; do
        missing=$(comm -23 "$tmp/modules" "$tmp/$kind-modules")
        [ -z "$missing" ] || fail "the $kind lacks: $missing"
    done
    echo "wheel $(basename "$wheel"): $(unzip -Z1 "$wheel" | wc -l) files;" \
        "packages: $(xargs -n1 dirname <"$tmp/wheel-modules" | sort -u | tr / . | xargs)"
}
check_site_wheel() { # the landing page links the wheel, and the site ships this one
    site_wheel=$site/_downloads/$(basename "$wheel")
    [ -f "$site_wheel" ] || fail "the site has no $site_wheel (make docs copies it there)"
    grep -q "href=\"_downloads/$(basename "$wheel")\"" "$site/index.html" \
        || fail "index.html does not link _downloads/$(basename "$wheel")"
    cmp -s <(unzip -p "$wheel" '*.dist-info/RECORD') <(unzip -p "$site_wheel" '*.dist-info/RECORD') \
        || fail "the site's wheel differs from the one built from this checkout: run make docs"
}
step "the wheel and the sdist hold every module of helpers/" check_contents
step "the site ships this wheel and links it from its landing page" check_site_wheel

# 3. a fresh environment ---------------------------------------------------------------------
venv=$tmp/venv
install() {
    "$PYTHON" -m venv "$venv"
    "$UV" pip freeze --quiet --python "$venv/bin/python" >"$tmp/seeded" # pip, setuptools: the venv's own
    "$UV" pip install --quiet --python "$venv/bin/python" --compile-bytecode \
        --constraint "$lock" "$site_wheel[lessons]" nbconvert ipykernel
    # a named kernel, in the environment itself: the notebooks run on this interpreter, whatever
    # kernels the machine's user has registered
    "$venv/bin/python" -m ipykernel install --prefix "$venv" --name outside-check >/dev/null
}
check_pins() { # every package the install added is at the version the lock pins for this Python
    "$UV" pip freeze --quiet --python "$venv/bin/python" | grep -vxFf "$tmp/seeded" \
        | "$venv/bin/python" -c '
import re, sys

def pin(line):
    name, _, version = line.strip().partition("==")
    return re.sub(r"[-_.]+", "-", name).lower() + "==" + version

lock = {pin(m[0]) for m in re.finditer(r"^[A-Za-z0-9_.-]+==\S+", open(sys.argv[1]).read(), re.M)}
added = [line.strip() for line in sys.stdin if not line.startswith("train-convert-predict")]
unpinned = [line for line in added if pin(line) not in lock]
if unpinned:
    sys.exit("not pinned by the lock: " + ", ".join(unpinned))
print(f"{len(added)} packages added, each at the version the lock pins")
' "$lock"
}
step "install the wheel [lessons] + nbconvert, ipykernel into $venv (lock pins)" install
step "every installed version is the lock's" check_pins

# 4. run it, away from the checkout and beside a decoy helpers.py ------------------------------
mkdir -p "$tmp/work" "$tmp/decoy"
cat >"$tmp/decoy/helpers.py" <<'EOF'
"""A reader's own helpers.py in a neighbouring folder: nothing below may import it."""
raise SystemExit(f"decoy imported: {__file__}")
EOF
cd "$tmp/work"
unset PYTHONPATH PYTHONHOME
# a reader's fresh account: no IPython profile, Jupyter or matplotlib settings of this machine's user
export IPYTHONDIR=$tmp/home/ipython JUPYTER_CONFIG_DIR=$tmp/home/jupyter MPLCONFIGDIR=$tmp/home/matplotlib
export PATH=$venv/bin:$PATH

expect_output() { # expect_output TEXT command...: the command succeeds and prints TEXT
    local text=$1 output
    shift
    output=$("$@" 2>&1) || { echo "$output"; fail "'$*' failed"; }
    grep -qF -- "$text" <<<"$output" || { echo "$output"; fail "'$*' did not print '$text'"; }
}
which_helpers() { # ours from the work folder; the landing page's one-liner names the decoy beside it
    expect_output "$venv/" python -c "import helpers; print(helpers.__file__)"
    local shadowed
    shadowed=$(cd "$tmp/decoy" && python -c "import helpers; print(helpers.__file__)" 2>&1 || true)
    grep -qF "$tmp/decoy/helpers.py" <<<"$shadowed" || fail "the shadowing check did not name the decoy"
}
demo() {
    train-convert-predict --no-progress --out "$tmp/work/demo-report"
    [ -s "$tmp/work/demo-report/report.html" ] && [ -s "$tmp/work/demo-report/report.json" ] \
        || fail "the demonstration wrote no report.html / report.json"
}
step "import helpers finds the installed package (and the check finds a decoy)" which_helpers
step "train-convert-predict --help" expect_output "usage: train-convert-predict" train-convert-predict --help
step "python -m helpers --help" expect_output "usage: train-convert-predict" python -m helpers --help
step "the demonstration (train-convert-predict --out ...)" demo
step "import helpers.serving, helpers.batch" python -c "import helpers.serving, helpers.batch"

first_cell_says_install() { # the notebook's first cell tells a reader what to install
    python - "$1" "$(basename "$wheel")" <<'EOF'
import json, sys
notebook, wheel = sys.argv[1], sys.argv[2]
cell = json.load(open(notebook))["cells"][0]
source = "".join(cell["source"])
for text in ("%pip install", "[lessons]", wheel, "Use it in your own project"):
    if text not in source:
        sys.exit(f"{notebook}: the first cell does not say {text!r}:\n{source}")
EOF
}
run_notebook() {
    local name=$1 found
    found=$(find "$site/_downloads" -name "$name.ipynb")
    [ "$(wc -l <<<"$found")" = 1 ] && [ -n "$found" ] || fail "not one $name.ipynb in the site: $found"
    cp "$found" "$tmp/work/"
    first_cell_says_install "$tmp/work/$name.ipynb"
    # ipc: the kernel talks over local sockets in the work folder, not TCP (which ipykernel warns about)
    jupyter nbconvert --to notebook --execute --log-level=WARN --KernelManager.transport=ipc \
        --ExecutePreprocessor.kernel_name=outside-check --ExecutePreprocessor.timeout=600 \
        --output "$name.executed" "$tmp/work/$name.ipynb"
}
for name in "${notebooks[@]}"; do
    step "notebook $name.ipynb from the site" run_notebook "$name"
done

current="done"
awk -v t0="$started" -v t1="$(now)" 'BEGIN { printf "outside check: passed in %.0f s\n", t1 - t0 }'
