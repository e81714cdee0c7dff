#!/usr/bin/env bash
# waferbench main job: install the missing Debian packages, build, run the seed studies on all
# cores with mpirun, draw the figures, and say where everything is.
#
#   ./run.sh                 everything
#   ./run.sh --build-only    install and build only (what ./test.sh uses)
#
# Environment: BUILD_DIR (default build), NP (default: number of cores).
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}
NP=${NP:-$(nproc)}
SEED_STUDIES=(seed_memory seed_finetune seed_inference seed_jais seed_llama70b cerebras_gpt_andromeda
              cerebras_gpt_scaling seed_sparsity fabric_small fabric_calibration_wse3)

# Debian packages the build, the tests (clang for the fuzzers, valgrind) and the plots need.
PACKAGES=(cmake g++ make git libopenmpi-dev openmpi-bin libhdf5-openmpi-dev libtrilinos-kokkos-dev
          libyaml-cpp-dev zlib1g-dev libbenchmark-dev libgtest-dev libgmock-dev libcli11-dev libfmt-dev nlohmann-json3-dev
          python3 python3-h5py python3-matplotlib python3-pandas clang libclang-rt-14-dev valgrind)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "run.sh: all ${#PACKAGES[@]} Debian packages present"
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: missing Debian packages; install them with:"
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  echo "run.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}

# Open MPI refuses root without --allow-run-as-root; --oversubscribe lets NP exceed the slots
# Open MPI detects (containers often report fewer).
mpirun_flags() {
  local flags=(--oversubscribe)
  [ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
  echo "${flags[@]}"
}

install_missing
build
if [ "${1:-}" = "--build-only" ]; then
  exit 0
fi

mkdir -p results
read -r -a MPI_FLAGS <<< "$(mpirun_flags)"
for study in "${SEED_STUDIES[@]}"; do
  echo
  echo "=== $study: mpirun -np $NP waferbench run inputs/studies/$study.yaml"
  mpirun -np "$NP" "${MPI_FLAGS[@]}" "$BUILD_DIR/drivers/waferbench" run "inputs/studies/$study.yaml" \
    -o "results/$study.h5" --force
done

files=()
for study in "${SEED_STUDIES[@]}"; do files+=("results/$study.h5"); done
echo
echo "=== figures: /usr/bin/python3 results/plot/figures.py ${files[*]}"
/usr/bin/python3 results/plot/figures.py "${files[@]}" | grep '\.png$' | sed 's/^/  /'

echo
echo "Results (HDF5, schema in docs/results.md): ${files[*]}"
echo "Figures: results/*.png and results/*.pdf"
echo "Print a result again with: $BUILD_DIR/drivers/waferbench report results/${SEED_STUDIES[0]}.h5"
