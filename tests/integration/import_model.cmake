# waferbench import-model, as a user runs it: Hugging Face config.json files become model files
# in a copy of the inputs tree, a study runs on them, and the checks refuse what they should.
#   cmake -DEXE=... -DSOURCE_DIR=... -DWORK=... -P import_model.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/inputs/models)
file(COPY ${SOURCE_DIR}/inputs/systems ${SOURCE_DIR}/inputs/frameworks DESTINATION ${WORK}/inputs)
set(HF ${SOURCE_DIR}/tests/inputs/hf)

function(expect_run what expect_rc pattern)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc OR NOT "${out}${err}" MATCHES "${pattern}")
    message(FATAL_ERROR "${what}: exit ${rc} (expected ${expect_rc}), output lacks '${pattern}':\n${out}${err}")
  endif()
  set(last_out "${out}" PARENT_SCOPE)
endfunction()

# Each family, with its parameter count printed.
foreach(pair "gpt2:124,439,808" "llama-2-7b:6,738,415,616" "falcon-7b:6,921,720,704" "opt-125m:125,239,296")
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 name)
  list(GET pair 1 count)
  expect_run("import-model ${name}" 0 "${count} parameters.*Wrote ${WORK}/inputs/models/${name}.yaml"
             ${EXE} import-model ${HF}/${name}.json -o ${WORK}/inputs/models/${name}.yaml)
endforeach()

# Without -o the model file goes to standard output.
expect_run("import-model to standard output" 0 "schema_version: 1\nname: \"meta-llama/Llama-2-7b-hf\""
           ${EXE} import-model ${HF}/llama-2-7b.json)
# An existing file is kept without --force.
expect_run("import-model over an existing file" 2 "file exists"
           ${EXE} import-model ${HF}/gpt2.json -o ${WORK}/inputs/models/gpt2.yaml)

# num_parameters: equal is said; a difference is an error and writes nothing.
file(READ ${HF}/gpt2.json gpt2)
string(REPLACE "\"vocab_size\"" "\"num_parameters\": 124439808,\n  \"vocab_size\"" stated "${gpt2}")
file(WRITE ${WORK}/stated.json "${stated}")
expect_run("num_parameters equal" 0 "equal to the file's num_parameters"
           ${EXE} import-model ${WORK}/stated.json -o ${WORK}/inputs/models/stated.yaml)
string(REPLACE "\"vocab_size\"" "\"num_parameters\": 163037184,\n  \"vocab_size\"" wrong "${gpt2}")
file(WRITE ${WORK}/wrong.json "${wrong}")
expect_run("num_parameters differing" 2 "wrong.json:[0-9]+:[0-9]+: num_parameters: the file states 163,037,184"
           ${EXE} import-model ${WORK}/wrong.json -o ${WORK}/inputs/models/wrong.yaml)
if(EXISTS ${WORK}/inputs/models/wrong.yaml)
  message(FATAL_ERROR "a model file was written although num_parameters differs")
endif()
file(WRITE ${WORK}/broken.json "{\n  \"model_type\": \"gpt2\",\n  \"n_layer\": 12,,\n}\n")
expect_run("broken JSON" 2 "broken.json:3:[0-9]+: not valid JSON" ${EXE} import-model ${WORK}/broken.json)

# The imported models load in a study, with the counts the import printed.
expect_run("a study of the imported models" 0 "gpt2@a100-80gbx1/zero0\\+mb1 +124439808.*llama-2-7b@a100-80gbx1/zero0\\+mb1 +6738415616"
           ${EXE} run ${SOURCE_DIR}/tests/inputs/import/imported_memory.yaml --inputs ${WORK}/inputs -o ${WORK}/imported.h5 --force)
expect_run("list models of the imported tree" 0 "falcon-7b +falcon-7b +6921720704.*opt-125m +facebook/opt-125m +125239296"
           ${EXE} list models --inputs ${WORK}/inputs)
