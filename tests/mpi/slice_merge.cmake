# Runs STUDY as SLICES slices (slice k on (k mod 3) + 1 ranks, so slicing and rank count vary
# together), merges the parts in reverse order and requires the merged file to equal REFERENCE
# (a direct run of the whole study) dataset by dataset, run attributes aside.
#   -DMPI="mpiexec;-n" -DPREFLAGS=... -DEXE=waferbench -DSTUDY=... -DSLICES=N -DOUT=dir
#   -DCOMPARE=wb_compare_results -DREFERENCE=file.h5 [-DCOMPARE_ARGS="--ignore-columns;/g/c,..."]
file(MAKE_DIRECTORY ${OUT})
set(parts "")
math(EXPR last "${SLICES} - 1")
foreach(k RANGE ${last})
  math(EXPR np "${k} % 3 + 1")
  set(part ${OUT}/slice${k}of${SLICES}.h5)
  execute_process(COMMAND ${MPI} ${np} ${PREFLAGS} ${EXE} run ${STUDY} --slice ${k}/${SLICES} -o ${part} --force --quiet
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "slice ${k}/${SLICES} at np ${np} failed (exit ${rc}):\n${out}${err}")
  endif()
  list(PREPEND parts ${part})
endforeach()
execute_process(COMMAND ${EXE} merge ${OUT}/merged.h5 ${parts} --force RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "merge failed (exit ${rc})")
endif()
execute_process(COMMAND ${COMPARE} ${COMPARE_ARGS} ${REFERENCE} ${OUT}/merged.h5 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the merged slices differ from a direct run of the study")
endif()
# A missing slice is refused (exit 2) and leaves no file.
list(REMOVE_AT parts 0)
execute_process(COMMAND ${EXE} merge ${OUT}/incomplete.h5 ${parts} --force RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "missing" OR EXISTS ${OUT}/incomplete.h5)
  message(FATAL_ERROR "merging without slice 0 gave exit ${rc}: ${out}${err}")
endif()
