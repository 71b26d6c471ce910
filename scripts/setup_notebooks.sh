#!/usr/bin/env bash
# One-time set-up for running sglab's notebooks, idempotent and quick once done:
#   - the Rust standard library source (rust-src), which evcxr needs;
#   - mold, a fast linker that evcxr picks up, Chromium (static figures, offline checks) and
#     the HDF5 library (NIR files) as Debian packages;
#   - evcxr_jupyter 0.22.0, built from crates.io (about 30 minutes on 2 cores, once);
#   - the Jupyter/nbconvert environment under ~/.cache/sglab/jupyter (scripts/setup_python.sh);
#   - the kernel "sglab-rust": evcxr with its build directory kept in ~/.cache/sglab/evcxr.
set -euo pipefail
cd "$(dirname "$0")/.."
evcxr_version=0.22.0
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    rustup component add rust-src
fi
packages=()
command -v mold >/dev/null || packages+=(mold)
# Headless Chromium draws the figures' SVG and PNG (sglab::plot::save_static) and checks the
# exported pages offline.
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
# The notebooks' sglab has NIR files (feature nir), which link the system HDF5.
pkg-config --exists hdf5 2>/dev/null || packages+=(libhdf5-dev pkg-config)
if ((${#packages[@]})); then
    echo "installing ${packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
evcxr="$HOME/.cargo/bin/evcxr_jupyter"
if ! [[ -x "$evcxr" ]] || ! cargo install --list | grep -q "^evcxr_jupyter v$evcxr_version:"; then
    echo "building evcxr_jupyter $evcxr_version (once; about 30 minutes on 2 cores)"
    # A target directory of its own under ~/.cache, so an interrupted build resumes.
    CARGO_TARGET_DIR="$HOME/.cache/sglab/evcxr-install" cargo install --locked evcxr_jupyter --version "$evcxr_version"
fi
bin="$(bash scripts/setup_python.sh)"
kernel_dir="${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/sglab-rust"
mkdir -p "$kernel_dir"
# evcxr loads each cell as a library linked to libstd dynamically, found through a RUNPATH
# relative to cargo's deps folder; evcxr moves the library one folder up, which breaks that
# path when the build folder is under $HOME. The standard library's folder on
# LD_LIBRARY_PATH makes the kernel independent of where its build folder is.
stdlib="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/lib"
"$bin/python" - "$kernel_dir/kernel.json" "$evcxr" "$HOME/.cache/sglab/evcxr" "$stdlib" <<'PY'
import json, sys
path, evcxr, tmpdir, stdlib = sys.argv[1:]
spec = {
    "argv": [evcxr, "--control_file", "{connection_file}"],
    "display_name": "Rust (sglab)",
    "language": "rust",
    "interrupt_mode": "message",
    "env": {"EVCXR_TMPDIR": tmpdir, "LD_LIBRARY_PATH": stdlib},
}
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
PY
echo "$bin"
