# Runs CMD with ARGS and checks its JSON: the last stdout line is one object
# holding KEY (callflow-bench), or (MODE=json_document) the whole stdout is a
# JSON document with a non-empty "benchmarks" array (Google Benchmark).
execute_process(COMMAND ${CMD} ${ARGS}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CMD} exited with ${rc}\n${err}\n${out}")
endif()
if(MODE STREQUAL "json_document")
  string(JSON n ERROR_VARIABLE json_err LENGTH "${out}" benchmarks)
  if(json_err OR n EQUAL 0)
    message(FATAL_ERROR "no benchmarks in the JSON output: ${json_err}\n${out}")
  endif()
  return()
endif()
string(STRIP "${out}" out)
string(REGEX REPLACE "^.*\n" "" last "${out}")
string(JSON value ERROR_VARIABLE json_err GET "${last}" ${KEY})
if(json_err)
  message(FATAL_ERROR "last stdout line is not JSON with '${KEY}': ${json_err}\n${last}")
endif()
message(STATUS "${KEY} = ${value}")
