# `waferbench calibrate --quick` at np 2 writes a node file into a copy of the inputs tree; the
# loader accepts it, a memory study names it as a system and as a host, and the host memory it
# measured (/proc/meminfo) is the host capacity in the results.
# The paths between nodes run with each rank taken as a node and must give the network keys.
# Then slurm/calibrate.sbatch, run outside Slurm with the variables Slurm would set, writes
# calibrated-<job id>.yaml with the same driver, and `waferbench list systems` loads it.
# Arguments: MPI_COMMAND (launcher for 2 ranks), MPIRUN (launcher without -np), EXE, SOURCE_DIR,
# WORK, PYTHON.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
foreach(dir models systems frameworks)
  file(COPY ${SOURCE_DIR}/inputs/${dir} DESTINATION ${WORK}/inputs)
endforeach()
set(node ${WORK}/inputs/systems/calibrated-node.yaml)

execute_process(COMMAND ${MPI_COMMAND} ${EXE} calibrate --quick --base dgx-a100-40gb --inputs ${WORK}/inputs -o ${node}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "calibrate failed (exit ${rc})")
endif()
file(READ ${node} yaml)
foreach(expect "kind: node" "measured by waferbench calibrate on " "measured: [0-9-]+T[0-9:]+Z"
               "adam_params_per_s_per_core: {value: [0-9.e+]+," "memory_bandwidth: {value: [0-9.]+[kMGT]?B/s"
               "host_p2p_latency: " "host_allreduce_bandwidth: " "copied from dgx-a100-40gb")
  if(NOT yaml MATCHES "${expect}")
    message(FATAL_ERROR "the node file lacks '${expect}':\n${yaml}")
  endif()
endforeach()
if(NOT out MATCHES "Wrote ${node}")
  message(FATAL_ERROR "calibrate did not say where it wrote")
endif()

# A second run must not replace the file without --force.
execute_process(COMMAND ${EXE} calibrate --quick --inputs ${WORK}/inputs -o ${node} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "file exists")
  message(FATAL_ERROR "an existing node file was not protected (exit ${rc}): ${err}")
endif()

execute_process(COMMAND ${EXE} run ${SOURCE_DIR}/tests/inputs/calibrate/calibrated_memory.yaml --inputs ${WORK}/inputs
                        -o ${WORK}/calibrated_memory.h5 --force
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the study naming the calibrated node failed (exit ${rc})")
endif()

# The results carry the measured host memory (whole KiB in the file) as the host capacity.
string(REGEX MATCH "host_memory: {value: ([0-9]+)KiB" _ "${yaml}")
set(kib ${CMAKE_MATCH_1})
execute_process(COMMAND ${PYTHON} -c "
import sys
sys.path.insert(0, '${SOURCE_DIR}/results/plot')
import wbresults
r = wbresults.load('${WORK}/calibrated_memory.h5')
s = r.table('scenarios')
ids = list(s['id'])
cap = list(s['host_capacity_bytes'])
assert len(ids) == 2, ids
assert ids[0] == 'cerebras-gpt-111m@calibrated-nodex1/zero2+offload+mb1', ids
assert list(s['host'])[1] == 'calibrated-node', list(s['host'])
for c in cap:
    assert c == ${kib} * 1024, (c, ${kib} * 1024)
measured = r.attrs['measured_inputs'].splitlines()
assert any(l.startswith('systems/calibrated-node.yaml: host_memory = ${kib}KiB (measured by waferbench calibrate on ') for l in measured), measured
assert any(': cpu.memory_bandwidth = ' in l for l in measured), measured
print('host capacity', cap[0], 'bytes from the calibrated node in both scenarios')
" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the result file does not carry the calibrated host memory")
endif()

# Two emulated nodes: the network figures appear and the file still loads.
execute_process(COMMAND ${MPI_COMMAND} ${EXE} calibrate --quick --emulate-ranks-per-node 1 --inputs ${WORK}/inputs
                        -o ${WORK}/inputs/systems/two-nodes.yaml
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(READ ${WORK}/inputs/systems/two-nodes.yaml two)
foreach(expect "network:\n  nics: 8\n" "  p2p_latency: {value: " "  p2p_bandwidth: {value: " "  allreduce_latency: {value: "
               "  allreduce_bandwidth: {value: " "between [^ ]+:node0 and [^ ]+:node1")
  if(NOT rc EQUAL 0 OR NOT two MATCHES "${expect}")
    message(FATAL_ERROR "two emulated nodes (exit ${rc}): the node file lacks '${expect}':\n${out}${err}\n${two}")
  endif()
endforeach()

# The Slurm example, as a batch job would run it.
execute_process(COMMAND ${CMAKE_COMMAND} -E env SLURM_SUBMIT_DIR=${WORK} SLURM_JOB_ID=4242 SLURM_NTASKS=2
                        "MPIRUN=${MPIRUN}" WAFERBENCH=${EXE} "CALIBRATE_ARGS=--quick --inputs ${WORK}/inputs"
                        bash ${SOURCE_DIR}/slurm/calibrate.sbatch
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT EXISTS ${WORK}/inputs/systems/calibrated-4242.yaml)
  message(FATAL_ERROR "slurm/calibrate.sbatch failed (exit ${rc}) or wrote no calibrated-4242.yaml")
endif()
execute_process(COMMAND ${EXE} list systems --inputs ${WORK}/inputs RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "calibrated-4242 +node" OR NOT out MATCHES "two-nodes +node")
  message(FATAL_ERROR "the batch job's node file does not load (exit ${rc}):\n${out}${err}")
endif()
