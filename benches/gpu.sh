#!/usr/bin/env bash
# The GPU figures of BENCHMARKS.md in one short run: sglab's training step on wgpu, fused
# (CubeCL kernels) and reference (per-step autodiff) paths, on SPEC.md's configurations and the
# open-neuromorphic framework benchmark's sizes (recurrent, and feed-forward as that benchmark
# runs them), beside hand-tuned PyTorch on CUDA.
#
#   bash benches/gpu.sh [BENCH_BINARY] [OUT_DIR]
#
# BENCH_BINARY is a release build of benches/train_step.rs with the wgpu feature
# (`cargo bench --no-run --features wgpu --bench train_step` prints its path); without it, it
# is built here. Each group of cases runs under its own time limit, so that one slow case
# cannot take the others' GPU time; the fused path and PyTorch come first.
set -uo pipefail
cd "$(dirname "$0")/.."
bench="${1:-}"
out="${2:-out/bench}"
mkdir -p "$out"
if [[ -z "$bench" ]]; then
    bench=$(cargo bench --no-run --features wgpu --bench train_step --message-format=json 2>/dev/null \
        | python3 -c 'import json,sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable")][-1])')
fi
# wgpu finds NVIDIA's Vulkan driver through its ICD file where the loader does not.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[[ -f "$icd" ]] && export VK_DRIVER_FILES="$icd"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"

sglab() { local limit=$1; shift; timeout -k 5 "$limit" "$bench" --steps 5 "$@" 2>&1 | tee -a "$out/sglab.txt"; }
# A case's first steps autotune the matrix products of its shapes (tens of seconds on a GPU).
sglab 100 slmnist shd wgpu fused
sglab 60 ofb-4k wgpu fused
sglab 120 ofb-16k wgpu fused
# The framework benchmark's own network: feed-forward layers, one launch per direction.
sglab 100 ofb-4k ofb-16k wgpu fused --feed-forward
timeout -k 5 120 python3 benches/torch_step.py slmnist shd ofb-4k ofb-16k hand-tuned cuda 2>&1 | tee "$out/torch.txt"
sglab 120 slmnist shd wgpu reference
sglab 100 ofb-4k wgpu reference
sglab 100 ofb-4k wgpu reference --feed-forward
