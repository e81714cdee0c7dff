# One rank fails while the others go on (injected with the hidden --inject-fault option): the job
# must end promptly (the ctest TIMEOUT bounds it) with a non-zero status and one message naming
# the rank and the reason, and the result file that existed before must be left as it was.
file(WRITE ${OUT} "an earlier result")
execute_process(COMMAND ${COMMAND} run ${STUDY} -o ${OUT} --force --quiet --inject-fault 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
message("exit ${rc}\nstderr: ${err}")
if(rc EQUAL 0 OR rc MATCHES "timeout")
  message(FATAL_ERROR "expected the job to fail promptly, got: ${rc}")
endif()
string(REGEX MATCHALL "waferbench: error on rank 1: fault injected for testing" lines "${err}")
list(LENGTH lines n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one message naming rank 1 and the reason, found ${n}")
endif()
file(READ ${OUT} kept)
if(NOT kept STREQUAL "an earlier result")
  message(FATAL_ERROR "the existing result file was modified by a failed run")
endif()
file(REMOVE ${OUT}.tmp)
