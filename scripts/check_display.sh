#!/usr/bin/env bash
# Checks that sglab's notebook display survives HTML export offline: writes a small notebook
# holding what evcxr displays for two figures and a table (examples/display_notebook.rs),
# exports it with `jupyter nbconvert --to html`, and opens the page in headless Chromium with
# the network cut off (scripts/check_offline_html.py). Installs Debian's chromium and the
# Jupyter environment when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x /usr/bin/chromium ]]; then
    echo "installing chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
bin="$(bash scripts/setup_python.sh)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sglab/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo run --quiet --example display_notebook -- "$work/display.ipynb"
"$bin/jupyter" nbconvert --to html --log-level WARN "$work/display.ipynb" --output-dir "$work"
python3 scripts/check_offline_html.py "$work/display.html"
