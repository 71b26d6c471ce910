#!/usr/bin/env bash
# Executes the notebooks in order in one sglab-rust kernel, exports each to HTML and checks
# that the pages draw offline; figures land in figures/ as HTML, SVG and PNG (the notebooks
# write them).
#
#   bash scripts/run_notebooks.sh [--scale quick|plateau|paper] [--out DIR] [NOTEBOOK.ipynb ...]
#
# Defaults: each notebook's own scale (the plateau-scale tables where a notebook's claim needs
# them and they are committed, quick otherwise; --scale sets SGLAB_SCALE for all), output under out/notebooks/ (executed
# notebooks in executed/, pages in html/), every notebooks/NN_*.ipynb. Stops at the first
# notebook with a failing cell and names the cell. Sets itself up first
# (scripts/setup_notebooks.sh: evcxr, Jupyter, the kernel, Chromium, HDF5).
set -euo pipefail
cd "$(dirname "$0")/.."
scale=
out=out/notebooks
notebooks=()
while (($#)); do
    case "$1" in
        --scale) scale="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) notebooks+=("$1"); shift ;;
    esac
done
if [[ -n "$scale" && "$scale" != quick && "$scale" != plateau && "$scale" != paper ]]; then
    echo "--scale must be quick, plateau or paper, got $scale" >&2
    exit 2
fi
if ((${#notebooks[@]} == 0)); then
    mapfile -t notebooks < <(ls notebooks/[0-9][0-9]_*.ipynb | sort)
fi
bin="$(bash scripts/setup_notebooks.sh | tail -n 1)"
if [[ -n "$scale" ]]; then
    export SGLAB_SCALE="$scale"
else
    unset SGLAB_SCALE
fi
mkdir -p "$out/executed" "$out/html" figures
# One kernel for all of them: evcxr loads sglab's dependency graph once (execute_notebook.py).
pairs=()
for nb in "${notebooks[@]}"; do
    pairs+=("$nb" "$out/executed/$(basename "$nb")")
done
"$bin/python" scripts/execute_notebook.py "${pairs[@]}"
for nb in "${notebooks[@]}"; do
    name="$(basename "$nb" .ipynb)"
    "$bin/jupyter" nbconvert --to html --log-level WARN "$out/executed/$name.ipynb" --output-dir "$out/html"
    python3 scripts/check_offline_html.py "$out/html/$name.html"
done
echo "notebooks done: executed copies and HTML under $out; figures (HTML, SVG, PNG) under figures/"
