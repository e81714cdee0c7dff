# shellcheck shell=bash
# Sourced by the waferbench batch scripts (slurm/*.sbatch); not a job script itself.
#
# wb_launcher: sets the array WB_LAUNCH to the command prefix that starts one MPI rank per task of
# the job step. Detected: `srun --mpi=pmix` where Slurm has a PMIx plugin (`srun --mpi=list`),
# `srun --mpi=pmi2` for MPIs other than Open MPI where it has PMI-2, else the MPI's own mpirun
# (which reads the allocation from Slurm's environment). Override with WB_LAUNCHER=srun (PMIx,
# or the plugin named by WB_SRUN_MPI), WB_LAUNCHER=mpirun, or a whole command prefix.
wb_open_mpi() { command -v mpirun > /dev/null && mpirun --version 2>&1 | grep -q "Open MPI"; }

wb_mpirun() {
  WB_LAUNCH=(mpirun -np "${SLURM_NTASKS:-1}")
  # Open MPI refuses to run as root (e.g. in containers) unless told.
  if wb_open_mpi && [ "$(id -u)" -eq 0 ]; then WB_LAUNCH+=(--allow-run-as-root); fi
}

wb_launcher() {
  case "${WB_LAUNCHER:-}" in
    "") ;;
    srun) WB_LAUNCH=(srun --mpi="${WB_SRUN_MPI:-pmix}"); return ;;
    mpirun) wb_mpirun; return ;;
    *) read -r -a WB_LAUNCH <<< "$WB_LAUNCHER"; return ;;
  esac
  local plugins
  plugins=$(srun --mpi=list 2>&1 || true)
  if grep -qw pmix <<< "$plugins"; then
    WB_LAUNCH=(srun --mpi=pmix)
  elif ! wb_open_mpi && grep -qw pmi2 <<< "$plugins"; then
    WB_LAUNCH=(srun --mpi=pmi2)
  elif command -v mpirun > /dev/null; then
    wb_mpirun
  else
    WB_LAUNCH=(srun)
  fi
}
