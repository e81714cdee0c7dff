# shellcheck shell=bash
# Sourced by the waferbench batch scripts (slurm/*.sbatch); not a job script itself.
#
# On sourcing: the site hook. WB_ENV_SETUP names a file sourced here, before anything is
# launched, for what a site needs first (`module load openmpi hdf5`, a Spack or conda
# environment). It is sourced with `set -u` lifted, since module systems read unset variables.
#
# wb_launcher: sets the array WB_LAUNCH to the command prefix that starts one MPI rank per task of
# the job step. A site's own SLURM_MPI_TYPE is respected: plain `srun`, which reads it. Otherwise
# detected: `srun --mpi=pmix` where Slurm has a PMIx plugin (`srun --mpi=list`), `srun --mpi=pmi2`
# for MPIs other than Open MPI where it has PMI-2, else the MPI's own mpirun (which reads the
# allocation from Slurm's environment). Override with WB_LAUNCHER=srun (SLURM_MPI_TYPE, else
# PMIx, or the plugin named by WB_SRUN_MPI), WB_LAUNCHER=mpirun, or a whole command prefix.
#
# wb_run COMMAND...: runs the command so that the batch shell's SIGTERM (`#SBATCH
# --signal=B:TERM@120`, sent ahead of the time limit) reaches it: waferbench then saves its
# finished scenarios in <output>.partial/ and leaves, and a resubmission with --resume continues.
if [ -n "${WB_ENV_SETUP:-}" ]; then
  if [ ! -r "$WB_ENV_SETUP" ]; then
    echo "waferbench: WB_ENV_SETUP=$WB_ENV_SETUP: no such readable file (the site hook to source)" >&2
    exit 2
  fi
  echo "waferbench: site hook: sourcing $WB_ENV_SETUP"
  set +u
  # shellcheck source=/dev/null
  source "$WB_ENV_SETUP"
  set -u
fi

wb_open_mpi() { command -v mpirun > /dev/null && mpirun --version 2>&1 | grep -q "Open MPI"; }

wb_mpirun() {
  WB_LAUNCH=(mpirun -np "${SLURM_NTASKS:-1}")
  # Open MPI refuses to run as root (e.g. in containers) unless told.
  if wb_open_mpi && [ "$(id -u)" -eq 0 ]; then WB_LAUNCH+=(--allow-run-as-root); fi
}

# The srun of a site that chose its MPI plugin (SLURM_MPI_TYPE); "none" means no PMI for srun.
wb_site_srun() { [ -n "${SLURM_MPI_TYPE:-}" ] && [ "$SLURM_MPI_TYPE" != none ]; }

wb_launcher() {
  case "${WB_LAUNCHER:-}" in
    "") ;;
    srun)
      if [ -n "${WB_SRUN_MPI:-}" ]; then WB_LAUNCH=(srun --mpi="$WB_SRUN_MPI")
      elif wb_site_srun; then WB_LAUNCH=(srun)
      else WB_LAUNCH=(srun --mpi=pmix)
      fi
      return ;;
    mpirun) wb_mpirun; return ;;
    *) read -r -a WB_LAUNCH <<< "$WB_LAUNCHER"; return ;;
  esac
  if wb_site_srun; then
    WB_LAUNCH=(srun)
    return
  fi
  if [ "${SLURM_MPI_TYPE:-}" = none ] && command -v mpirun > /dev/null; then
    wb_mpirun
    return
  fi
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

# What the job log says about the launch: the prefix, and the site's plugin when it chose one.
wb_launcher_text() {
  echo "${WB_LAUNCH[*]}${SLURM_MPI_TYPE:+ (SLURM_MPI_TYPE=$SLURM_MPI_TYPE)}"
}

wb_run() {
  "$@" &
  local pid=$! rc forward
  forward="kill -TERM $pid"
  # srun takes SIGTERM as "end the step now" and kills its tasks; Slurm signals them itself instead.
  if [ "$(basename "$1")" = srun ]; then forward="scancel --signal=TERM ${SLURM_JOB_ID}"; fi
  # Open MPI's mpirun takes SIGTERM as "abort the job" and exits 1 whatever its ranks do; SIGUSR2
  # it passes on to them, and waferbench takes that as SIGTERM: the job then ends with 143.
  case "$(basename "$1")" in
    mpirun | mpiexec | orterun) if wb_open_mpi; then forward="kill -USR2 $pid"; fi ;;
  esac
  # shellcheck disable=SC2064  # pid and command are fixed now
  trap "echo 'waferbench: SIGTERM (time limit near): saving finished scenarios' >&2; $forward" TERM
  # A trapped signal ends `wait` early (status > 128); wait again until the command is gone.
  while :; do
    rc=0
    wait "$pid" || rc=$?
    kill -0 "$pid" 2> /dev/null || break
  done
  trap - TERM
  return "$rc"
}

# --resume where an earlier job left checkpoints for this output (a fresh run needs none, and a
# fabric study, which is not checkpointed, refuses it).
wb_resume_flag() {
  if [ -d "$1.partial" ]; then echo "--resume"; fi
}
