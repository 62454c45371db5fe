#!/usr/bin/env bash
# One GPU-machine session in one command (device time is scarce): report the environment, then run the parts
# named on the command line, each logging to $OUT and packing result files into $OUT/results.tar.gz.
#   bench/run_gpu.sh tests            the whole test suite with PYLDL_DEVICE=cuda (parallel, per-test timeout)
#   bench/run_gpu.sh smoke            one quick GPU training benchmark per workload at batch 1024
#   bench/run_gpu.sh syncs            bench/find_syncs.py: which call of a step waits for the GPU
#   bench/run_gpu.sh profile          bench/profile_step.py for W3, W4, W2 at batch 1024 on the GPU
#   bench/run_gpu.sh throughput       bench/test_bench_throughput.py (cpu and cuda, ours and PyTorch)
#   bench/run_gpu.sh memory           bench/test_bench_memory.py (BENCH_K="cuda" selects like pytest -k)
#   bench/run_gpu.sh experiments      the main experiments with --device cuda -> runs-cuda/
# Needs: CuPy, PyTorch, pytest, pytest-benchmark, pytest-xdist, pytest-timeout (the GPU image has them);
# data in $PYLDL_DATA.
set -u
OUT=${OUT:-/tmp/out}
RES=/tmp/pyldl-results
mkdir -p "$OUT" "$RES"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 PYLDL_DATA=${PYLDL_DATA:-$PWD/.gpudata}
PY=${PY:-python3}
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  $PY -c "import numpy, cupy, torch; print('numpy', numpy.__version__, 'cupy', cupy.__version__, 'torch', torch.__version__)"
  $PY -m pyldl_gpu
  nproc
} 2>&1 | tee "$OUT/env.txt"
for part in "$@"; do
  start=$(date +%s)
  case $part in
    tests)
      PYLDL_DEVICE=cuda $PY -m pytest -q -p no:cacheprovider -p no:benchmark -n 8 --dist loadfile --timeout 300 \
        2>&1 | tee "$OUT/tests-cuda.log" | tail -40 ;;
    smoke)
      PYLDL_BENCH_ROUNDS=3 $PY -m pytest bench/test_bench_throughput.py -q -p no:cacheprovider \
        -k "cuda and train and b1024" --benchmark-json $RES/smoke.json 2>&1 | tail -5
      $PY bench/report.py $RES/smoke.json > "$OUT/smoke.md"; grep "^| W" "$OUT/smoke.md" ;;
    syncs)
      $PY bench/find_syncs.py 2>&1 | tee "$OUT/syncs.log" | tail -60 ;;
    profile)
      for w in W3 W4 W2; do $PY bench/profile_step.py $w 1024 cuda; done 2>&1 | tee "$OUT/profile.log" | grep -v "^  f\|^  b" ;;
    throughput|memory)
      PYLDL_BENCH_ROUNDS=${ROUNDS:-5} $PY -m pytest "bench/test_bench_$part.py" -q -p no:cacheprovider \
        ${BENCH_K:+-k "$BENCH_K"} --benchmark-json "$RES/$part.json" 2>&1 | tail -15
      $PY bench/report.py "$RES/$part.json" > "$OUT/$part.md"; grep -v "^| W.*| n/a | n/a |" "$OUT/$part.md" | tail -40 ;;
    experiments)
      for spec in ${EXPERIMENTS:-denoising:digits multiclass_mlp:mnist cnn:usps cnn:mnist autoencoder:usps denoising:usps}; do
        name=${spec%%:*}; data=${spec##*:}
        timeout "${EXP_TIMEOUT:-300}" $PY "experiments/$name.py" --device cuda --dataset "$data" \
          --out "runs-cuda/$name-$data" 2>&1 | tail -3
        tar czf "$OUT/runs-cuda.tar.gz" --exclude='*.png' runs-cuda  # after each: a cut-off call keeps the rest
      done ;;
  esac
  echo "== $part took $(( $(date +%s) - start )) s" | tee -a "$OUT/env.txt"
done
tar czf "$OUT/results.tar.gz" -C "$RES" . 2>/dev/null
