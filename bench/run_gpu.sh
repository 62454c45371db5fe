#!/usr/bin/env bash
# The GPU verification in one command, within 8 minutes of device time (docs/gpu.md):
#
#   bash bench/run_gpu.sh            every part below, in this order
#   bash bench/run_gpu.sh PART ...   only those parts
#
#   env          versions, GPU, driver, cores                                                   (~5 s)
#   tests        the whole suite with PYLDL_DEVICE=cuda (eager path; includes tests/gpu: parity,  cap 110 s
#                no-sync, precision, capture), pytest-xdist on 12 workers when it is there
#   fused        the fused-op table, the kernel sweeps, tests/gpu and every layer, loss and         cap 50 s
#                optimizer case (float64 gradient checks too) with PYLDL_CUDA_KERNELS=fused
#   probe        bench/capture_probe.py: which CUDA-graph captures work                          cap 30 s
#   tiles        bench/tile_width_gpu.py: auto vs im2col vs banded on W3/W4, every g per layer    cap 35 s
#   throughput   bench/gpu_throughput.py: W1-W5 at batch 128 and 1024, ours eager / fused and     cap 85 s
#                PyTorch alternated, and ours on 2 CPU cores (cores 2,3) for W2, W3, W5 at 1024
#   experiments  LeNet on MNIST's full 20 epochs, then every experiment for one epoch, on the GPU   cap 130 s
#                (kernels fused); the same one-epoch subset on 2 CPU cores (0,1) runs in the
#                background from the start; then the CPU / GPU table
#   syncs, profile   on request only: bench/find_syncs.py, bench/profile_step.py (W3, W4, W2)
#
# The caps add up to 440 s; a part that reaches its cap is stopped and keeps what it wrote. The GPU parts run on
# cores 4-15, away from the CPU measurements. Budget: from the H100 run of 2026-11-22 (bench/results/h100-*):
# steps of 1.6-4.3 ms at batch 1024 put each throughput case at ~5 s (3 sides x 5 rounds x 0.25 s plus warm-up),
# 10 cases ~50 s plus worker starts; a suite of ~700 tests (123 s on one 2-core CPU process here) over 12 workers
# with CUDA start-up and kernel compiles in each, ~100 s. The rest is sized by the caps.
#
# Results go to $OUT (default /tmp/out): summary.md (every table and log tail), results.tar.gz (the files to
# commit under bench/results/, named after the GPU: h200-*.json, .md, .png, .log), logs.tar.gz (full logs) and the
# throughput chart. Needs what the GPU image has: CuPy, PyTorch, pytest, pytest-benchmark (pytest-xdist and
# pytest-timeout are used when present); installs nothing. Data: $PYLDL_DATA, default .gpudata/ in the checkout
# (copy ../shared/data there and carry it).
set -u
OUT=${OUT:-/tmp/out}
RES=$(mktemp -d /tmp/pyldl-results.XXXX)
LOGS=$RES/logs
mkdir -p "$OUT" "$LOGS"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 PYLDL_DATA=${PYLDL_DATA:-$PWD/.gpudata}
PY=${PY:-python3}
TAG=${GPU_TAG:-$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | awk '{print tolower($2)}')}
TAG=${TAG:-gpu}
SUMMARY=$OUT/summary.md
PARTS=("$@")
[ ${#PARTS[@]} -eq 0 ] && PARTS=(env tests fused probe tiles throughput experiments)

# GPU parts: at most CAP seconds (SIGINT first, so pytest prints its summary), on cores 4-15 where there are 16
GPU_CORES=(); command -v taskset >/dev/null && [ "$(nproc)" -ge 16 ] && GPU_CORES=(taskset -c 4-15)
capped() { local cap=$1; shift; timeout -s INT -k 15 "$cap" "${GPU_CORES[@]}" "$@"; }
XDIST=(); $PY -c "import xdist" 2>/dev/null && XDIST=(-n 12 --dist load)  # per test: the experiment tests spread out
TIMEOUT=(); $PY -c "import pytest_timeout" 2>/dev/null && TIMEOUT=(--timeout 100)
PYTEST=($PY -m pytest -q -p no:cacheprovider -p no:benchmark)
section() { printf '\n## %s\n\n' "$1" >>"$SUMMARY"; }
fenced() { { echo '```'; cat; echo '```'; } >>"$SUMMARY"; }

: >"$SUMMARY"
echo "# GPU verification ($(date -u +%FT%TZ), bench/run_gpu.sh ${PARTS[*]})" >>"$SUMMARY"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  $PY -c "import numpy, cupy, torch; print('numpy', numpy.__version__, 'cupy', cupy.__version__, 'torch', torch.__version__)"
  $PY -c "import cupy; print('cuda runtime', cupy.cuda.runtime.runtimeGetVersion(), 'driver', cupy.cuda.runtime.driverGetVersion())"
  $PY -m pyldl_gpu
  echo "cores $(nproc); xdist: ${XDIST[*]:-no}; pytest-timeout: ${TIMEOUT[*]:-no}; data $PYLDL_DATA"
  git log -1 --format='commit %H %s' 2>/dev/null
} >"$RES/$TAG-env.txt" 2>&1
section env; fenced <"$RES/$TAG-env.txt"

CPU_EXPERIMENTS=
if [[ " ${PARTS[*]} " == *" experiments "* ]]; then  # 2 CPU cores, in the background from the start
  PYLDL_DEVICE=cpu $PY bench/experiment_times.py run --device cpu --epochs 1 --cores 0,1 --deadline 420 \
    --timeout 200 --out "$RES/runs-cpu" --json "$RES/$TAG-experiments-cpu.json" >"$LOGS/experiments-cpu.log" 2>&1 &
  CPU_EXPERIMENTS=$!
fi

for part in "${PARTS[@]}"; do
  start=$(date +%s)
  case $part in
    env) ;;
    tests)
      PYLDL_DEVICE=cuda capped 110 "${PYTEST[@]}" "${XDIST[@]}" "${TIMEOUT[@]}" >"$LOGS/tests-cuda.log" 2>&1
      cp "$LOGS/tests-cuda.log" "$RES/$TAG-tests-cuda.log"
      section "tests (PYLDL_DEVICE=cuda, eager)"; grep -E "passed|failed|error" "$LOGS/tests-cuda.log" | tail -25 | fenced ;;
    fused)
      PYLDL_DEVICE=cuda PYLDL_CUDA_KERNELS=fused capped 50 "${PYTEST[@]}" "${XDIST[@]}" "${TIMEOUT[@]}" \
        tests/backends/test_fused_ops.py tests/backends/test_cuda_sources.py tests/gpu tests/layers/test_layer_cases.py \
        tests/losses tests/optimizers >"$LOGS/tests-fused.log" 2>&1
      cp "$LOGS/tests-fused.log" "$RES/$TAG-tests-fused.log"
      section "tests with every kernel family (PYLDL_CUDA_KERNELS=fused)"
      grep -E "passed|failed|error" "$LOGS/tests-fused.log" | tail -25 | fenced ;;
    probe)
      PYLDL_DEVICE=cuda capped 30 $PY bench/capture_probe.py --kernels fused --json "$RES/$TAG-capture-probe.json" \
        >"$RES/$TAG-capture-probe.log" 2>&1
      section "CUDA-graph capture probe"; fenced <"$RES/$TAG-capture-probe.log" ;;
    tiles)
      capped 35 $PY bench/tile_width_gpu.py --json "$RES/$TAG-tile-width.json" --md "$RES/$TAG-tile-width.md" \
        >"$LOGS/tiles.log" 2>&1
      section "tile width"; cat "$RES/$TAG-tile-width.md" >>"$SUMMARY" 2>/dev/null || tail -20 "$LOGS/tiles.log" | fenced ;;
    throughput)
      PYLDL_BENCH_CPU_CORES=2,3 capped 85 $PY bench/gpu_throughput.py --json "$RES/$TAG-gpu-throughput.json" \
        --md "$RES/$TAG-gpu-throughput.md" --png "$RES/$TAG-gpu-throughput.png" >"$LOGS/throughput.log" 2>&1
      cp "$RES/$TAG-gpu-throughput.png" "$OUT/" 2>/dev/null
      section throughput
      cat "$RES/$TAG-gpu-throughput.md" >>"$SUMMARY" 2>/dev/null || tail -20 "$LOGS/throughput.log" | fenced ;;
    experiments)
      PYLDL_CUDA_KERNELS=${EXP_KERNELS:-fused} capped 130 $PY bench/experiment_times.py run --device cuda \
        --epochs 1 --full cnn:mnist --deadline 120 --timeout 60 --out "$RES/runs-gpu" \
        --json "$RES/$TAG-experiments-gpu.json" >"$LOGS/experiments-gpu.log" 2>&1
      if [ -n "$CPU_EXPERIMENTS" ]; then  # what the CPU side finished by now is what it reports
        kill -INT "$CPU_EXPERIMENTS" 2>/dev/null; wait "$CPU_EXPERIMENTS" 2>/dev/null
      fi
      $PY bench/experiment_times.py table "$RES/$TAG-experiments-cpu.json" "$RES/$TAG-experiments-gpu.json" \
        --md "$RES/$TAG-experiments.md" >/dev/null 2>>"$LOGS/experiments-gpu.log"
      section experiments
      cat "$RES/$TAG-experiments.md" >>"$SUMMARY" 2>/dev/null || tail -20 "$LOGS/experiments-gpu.log" | fenced ;;
    syncs)  # not in the default list: which call of a step waits for the GPU
      capped 60 $PY bench/find_syncs.py >"$RES/$TAG-find-syncs.log" 2>&1
      section syncs; tail -30 "$RES/$TAG-find-syncs.log" | fenced ;;
    profile)  # not in the default list: where a step's time goes, module by module
      for w in W3 W4 W2; do capped 60 $PY bench/profile_step.py $w 1024 cuda; done >"$RES/$TAG-profile.log" 2>&1
      section profile; grep -v "^  f\|^  b" "$RES/$TAG-profile.log" | fenced ;;
    *) echo "run_gpu.sh: unknown part '$part' (env tests fused probe tiles throughput experiments syncs profile)" \
         | tee -a "$SUMMARY" ;;
  esac
  echo "- $part: $(( $(date +%s) - start )) s" >>"$RES/durations.md"
done
[ -n "$CPU_EXPERIMENTS" ] && kill "$CPU_EXPERIMENTS" 2>/dev/null
section "durations"; cat "$RES/durations.md" >>"$SUMMARY"
tar czf "$OUT/logs.tar.gz" -C "$RES" logs durations.md 2>/dev/null
tar czf "$OUT/results.tar.gz" -C "$RES" --exclude=logs --exclude='runs-*' --exclude=durations.md . 2>/dev/null
cat "$SUMMARY"
