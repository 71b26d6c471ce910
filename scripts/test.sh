#!/usr/bin/env bash
# Runs sglab's whole test suite on every backend: flex, ndarray, and wgpu on Mesa's software
# Vulkan driver (lavapipe) where no GPU exists. Installs what it needs, idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."

libs="$(ldconfig -p)"
if ! grep -q libvulkan_lvp <<<"$libs" || ! grep -q 'libvulkan.so.1' <<<"$libs"; then
    echo "installing Mesa's Vulkan drivers (lavapipe) for the wgpu backend"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        mesa-vulkan-drivers libvulkan1 >/dev/null
fi

# Mesa wants a runtime dir; wgpu's shader caches live under ~/.cache.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
# Build outside the clone so that a fresh clone reuses earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sglab/target}"

cargo test --features ndarray,wgpu
