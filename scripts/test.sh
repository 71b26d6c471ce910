#!/usr/bin/env bash
# Runs sglab's whole test suite on every backend: flex, ndarray, and wgpu on Mesa's software
# Vulkan driver (lavapipe) where no GPU exists, with the SHD loader and NIR files (system HDF5).
# Installs what it needs, idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."

libs="$(ldconfig -p)"
packages=()
if ! grep -q libvulkan_lvp <<<"$libs" || ! grep -q 'libvulkan.so.1' <<<"$libs"; then
    packages+=(mesa-vulkan-drivers libvulkan1)   # lavapipe, for the wgpu backend
fi
if [[ ! -x /usr/bin/chromium ]]; then
    packages+=(chromium)                         # figures' SVG/PNG export (tests/plot.rs), offline pages
fi
if ! pkg-config --exists hdf5 2>/dev/null; then
    packages+=(libhdf5-dev pkg-config)           # the SHD loader and NIR files (features shd, nir)
fi
if ((${#packages[@]})); then
    echo "installing ${packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# Mesa wants a runtime dir; wgpu's shader caches live under ~/.cache.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
# Build outside the clone so that a fresh clone reuses earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sglab/target}"

# Modules depend on each other one way (ARCHITECTURE.md).
python3 scripts/check_module_graph.py

# The Python `nir` package, which tests/nir.rs checks sglab's NIR files against.
export SGLAB_PYTHON="$(bash scripts/setup_python.sh)/python"

# A real single-node Slurm (slurmctld, slurmd, munged) on localhost for tests/cluster.rs,
# stopped when the tests end; where Slurm cannot be installed that test says it is skipped.
set +e
slurm_env="$(bash scripts/slurm_fixture.sh up)"
slurm_rc=$?
set -e
case $slurm_rc in
    0) eval "$slurm_env"; trap 'bash scripts/slurm_fixture.sh down' EXIT ;;
    3) echo "Slurm could not be installed: tests/cluster.rs skips its Slurm test" >&2 ;;
    *) echo "Slurm is installed but did not start (scripts/slurm_fixture.sh up: $slurm_rc)" >&2; exit 1 ;;
esac

cargo test --features ndarray,wgpu,shd,nir

# Notebook display: figures and tables exported to HTML draw offline (chromium, nbconvert).
bash scripts/check_display.sh
