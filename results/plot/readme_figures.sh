#!/usr/bin/env bash
# Regenerates the figures the README and docs/ show (docs/img/*.png) from fresh runs of the
# bundled studies, so the committed images always match the code:
#
#   results/plot/readme_figures.sh            (after ./run.sh --build-only, or any build)
#
# The whole-wafer fabric run behind docs/img/fabric_heatmap_gemv_13b.png takes minutes (about
# 45 s per case at np 1 on a quiet 2-core machine, two cases); FABRIC=0 skips it.
# Environment: WAFERBENCH (default build/drivers/waferbench), NP (ranks, default 1),
# PYTHON (default /usr/bin/python3, Debian's h5py and matplotlib).
set -euo pipefail
cd "$(dirname "$0")/../.."

WAFERBENCH=${WAFERBENCH:-build/drivers/waferbench}
PYTHON=${PYTHON:-/usr/bin/python3}
NP=${NP:-1}
# Studies with published measurements (not the vendor-claim studies, whose +1,300 % rows would
# flatten the error axis): their predicted-vs-published rows make docs/img/validation.png.
VALIDATION_STUDIES=(seed_memory zero_paper_7.5b ds_estimator_t5_3b zero_offload_10b cerebras_gpt_flops megatron_sc21
                    seed_finetune)
# Figures of single studies shown in the README: "<study>:<figure>[,<figure>...]".
README_FIGURES=("seed_memory:memory" "cerebras_gpt_scaling:time_to_train,scaling" "seed_finetune:step_breakdown"
                "inference_llama3:serving")

if [ ! -x "$WAFERBENCH" ]; then
  echo "readme_figures.sh: $WAFERBENCH not found; build first (./run.sh --build-only)" >&2
  exit 2
fi
launch=("$WAFERBENCH")
if [ "$NP" -gt 1 ]; then
  launch=(mpirun -np "$NP" --oversubscribe)
  [ "$(id -u)" -eq 0 ] && launch+=(--allow-run-as-root)
  launch+=("$WAFERBENCH")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -A needed=()
for s in "${VALIDATION_STUDIES[@]}"; do needed[$s]=1; done
for f in "${README_FIGURES[@]}"; do needed[${f%%:*}]=1; done
if [ "${FABRIC:-1}" != 0 ]; then needed[fabric_full_wafer]=1; fi
for s in "${!needed[@]}"; do
  "${launch[@]}" run "inputs/studies/$s.yaml" -o "$work/$s.h5" --quiet > /dev/null
done

mkdir -p docs/img
for f in "${README_FIGURES[@]}"; do
  "$PYTHON" results/plot/figures.py --outdir docs/img --formats png --only "${f#*:}" "$work/${f%%:*}.h5"
done
if [ "${FABRIC:-1}" != 0 ]; then  # docs/fabric-model.md shows the GEMV case alone, under its own name
  "$PYTHON" results/plot/figures.py --outdir "$work" --formats png --only fabric_heatmap --case gemv-13b-ffn-up \
    "$work/fabric_full_wafer.h5" > /dev/null
  cp "$work/fabric_full_wafer_fabric_heatmap.png" docs/img/fabric_heatmap_gemv_13b.png && echo docs/img/fabric_heatmap_gemv_13b.png
fi
files=()
for s in "${VALIDATION_STUDIES[@]}"; do files+=("$work/$s.h5"); done
# Only the combined figure: per-study validation images would be written to $work and dropped.
"$PYTHON" results/plot/figures.py --outdir "$work" --formats png --only validation --combined all "${files[@]}" |
  grep '/all_validation.png$' | while read -r p; do cp "$p" docs/img/validation.png && echo docs/img/validation.png; done
