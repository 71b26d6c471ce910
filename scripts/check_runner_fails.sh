#!/usr/bin/env bash
# The notebook runner stops on a panicking cell and names it: executes
# tests/notebooks/panics.ipynb (its second code cell indexes an empty vector) and checks that
# the executor exits with status 1 and reports "code cell 2".
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(bash scripts/setup_notebooks.sh | tail -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if "$bin/python" scripts/execute_notebook.py tests/notebooks/panics.ipynb "$work/panics.ipynb" 2>"$work/stderr"; then
    echo "the panicking notebook was reported as executed" >&2
    exit 1
fi
if ! grep -q "code cell 2" "$work/stderr"; then
    echo "the runner did not name the failing cell:" >&2
    cat "$work/stderr" >&2
    exit 1
fi
echo "a panicking cell fails the run and is named: $(head -n 1 "$work/stderr")"
