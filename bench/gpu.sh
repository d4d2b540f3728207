#!/usr/bin/env bash
# One-command WebGPU device check for a machine with an NVIDIA GPU (< 8 min): Vulkan ICD present,
# the adapter Dawn picks, the webgpu kernel test suite, then the Open Neuromorphic benchmark
# (Linear+LIF, B=16, T=500, N ∈ {4096, 16384}; EXODUS, SLAYER fused kernels, a BPTT per-step kernel
# stand-in, and the library's tensor path for exodus/slayer/bptt) printing ms and
# neuron-steps/s. Needs node_modules (incl. the optional `webgpu` package) already installed: no network.
# Usage: bench/gpu.sh [--no-tests]. Output is meant to be pasted into bench/RESULTS.md.
set -uo pipefail
cd "$(dirname "$0")/.."
echo "== $(date -u +%FT%TZ)  $(uname -srm)  node $(node --version)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "== Vulkan"
if command -v vulkaninfo >/dev/null; then
  timeout 60 vulkaninfo --summary 2>/dev/null | sed -n '/^Devices:/,$p' | grep -E 'GPU[0-9]|deviceName|driverName|apiVersion|deviceType' || echo "vulkaninfo found no devices"
else
  echo "vulkaninfo not installed (apt-get install vulkan-tools); ICD files:"
fi
ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr '\n' ' '; echo
[ -d node_modules/webgpu ] || { echo "node_modules/webgpu missing: run npm ci (with optional deps) first"; exit 1; }
if [ "${1:-}" != "--no-tests" ]; then
  echo "== webgpu kernel tests"
  CI=true timeout 240 node scripts/test.mjs test/webgpu 2>&1 | grep -v 'artificially reduced' | grep -E '^(not )?ok|^# (tests|pass|fail)|adapter|differ' || true
fi
echo "== benchmark (Open Neuromorphic: Linear(N→N)+LIF, B=16, T=500)"
timeout 300 node --import tsx bench/gpu.ts 2>&1 | grep -v 'artificially reduced'
