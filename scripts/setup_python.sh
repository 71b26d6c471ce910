#!/usr/bin/env bash
# Creates (once) the Python environment that runs and exports notebooks, under
# ~/.cache/sglab/jupyter, with the pinned packages of scripts/python-requirements.txt; a
# second run with unchanged requirements returns at once. Prints the environment's bin dir.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${SGLAB_JUPYTER_VENV:-$HOME/.cache/sglab/jupyter}"
requirements="$here/python-requirements.txt"
stamp="$venv/.requirements"
if [[ -x "$venv/bin/python" ]] && cmp -s "$requirements" "$stamp"; then
    echo "$venv/bin"
    exit 0
fi
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
cp "$requirements" "$stamp"
echo "$venv/bin"
