# waferbench run --scenario and run -, as a user runs them: the answer printed, one batch and token
# count on both machines, no file unless -o, a study from standard input, bad names refused.
#   cmake -DEXE=... -DSOURCE_DIR=... -DWORK=... -P adhoc_run.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(expect_run what expect_rc pattern)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc OR NOT "${out}${err}" MATCHES "${pattern}")
    message(FATAL_ERROR "${what}: exit ${rc} (expected ${expect_rc}), output lacks '${pattern}':\n${out}${err}")
  endif()
  set(last_out "${out}" PARENT_SCOPE)
endfunction()

# Two machines, no YAML: both rows train the published 720 x 2048 on the same tokens, and the
# assumptions say why. Nothing is written (the working directory stays empty).
set(A "cerebras-gpt-111m@dgx-a100-40gbx1/best")
set(B "cerebras-gpt-111m@cs-2x1/weight-streaming")
set(row "[ ]+120[ ]+2048[ ]+2\\.22[0-9]e\\+09")
expect_run("two scenarios" 0 "Time:.*${A} = [^\n]*${row}.*${B}${row}.*published batch of 120 sequences"
           ${EXE} run --scenario ${A} --scenario ${B})
file(GLOB left ${WORK}/*)
if(left)
  message(FATAL_ERROR "run --scenario without -o wrote ${left}")
endif()
if("${last_out}" MATCHES "Results:")
  message(FATAL_ERROR "run --scenario without -o names a result file:\n${last_out}")
endif()

# With -o the file is written and reads back with the same rows.
expect_run("two scenarios to a file" 0 "Results: ${WORK}/adhoc.h5"
           ${EXE} run --scenario ${A} --scenario ${B} -o ${WORK}/adhoc.h5 -q)
expect_run("report of it" 0 "${B}" ${EXE} report ${WORK}/adhoc.h5)

# --global-batch and --tokens reach every row.
expect_run("workload options" 0 "${B}[ ]+240[ ]+2048[ ]+1e\\+09"
           ${EXE} run --scenario ${B} --global-batch 240 --tokens 1e9)

# A study on standard input, printed; written only with -o.
execute_process(COMMAND ${EXE} run - INPUT_FILE ${SOURCE_DIR}/inputs/studies/zero_paper_7.5b.yaml
                WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT "${out}" MATCHES "Study stdin \\(memory\\)" OR "${out}" MATCHES "Results:")
  message(FATAL_ERROR "run - < zero_paper_7.5b.yaml: exit ${rc}:\n${out}${err}")
endif()

# Bad names: one message naming the --scenario value, exit 2.
expect_run("no @" 2 "--scenario 'cs-2x1': expected <model>@<system>x<count>" ${EXE} run --scenario cs-2x1)
expect_run("unknown model" 2 "--scenario 'cerebras-gpt-12b@cs-2x1': unknown model 'cerebras-gpt-12b'.*cerebras-gpt-13b"
           ${EXE} run --scenario cerebras-gpt-12b@cs-2x1)
expect_run("bare GPU" 2 "a100-40gb is a bare GPU.*dgx-a100-40gb x N"
           ${EXE} run --scenario cerebras-gpt-111m@a100-40gbx8/zero1+mb4)
expect_run("file and --scenario" 2 "one of them"
           ${EXE} run ${SOURCE_DIR}/inputs/studies/zero_paper_7.5b.yaml --scenario ${B})

# --framework: FSDP's SHARD_GRAD_OP (zero2) runs under fsdp; an unknown name lists the frameworks.
expect_run("framework fsdp" 0 "mpt-3b@dgx-h100x2/zero2\\+mb10\\+ga3[ ]+480[ ]+2048"
           ${EXE} run --scenario mpt-3b@dgx-h100x2/zero2+mb10+ga3 --seq-len 2048 --framework fsdp)
expect_run("unknown framework" 2 "--framework: no framework 'nope' \\(there are: .*fsdp"
           ${EXE} run --scenario ${B} --framework nope)
