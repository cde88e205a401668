# The -DCALLFLOW_FUZZ=ON configuration: every project library is compiled
# with AddressSanitizer, UndefinedBehaviorSanitizer (any report aborts, so
# libFuzzer sees it as a crash) and libFuzzer's coverage instrumentation.
# Debian's protobuf, abseil and libstdc++ stay uninstrumented.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR
    "CALLFLOW_FUZZ needs clang++ (libFuzzer): configure a separate build "
    "directory with -DCMAKE_CXX_COMPILER=clang++, or run ops/fuzz.sh")
endif()

set(CALLFLOW_SANITIZERS -fsanitize=address,undefined
                        -fno-sanitize-recover=all)
add_compile_options(${CALLFLOW_SANITIZERS} -fsanitize=fuzzer-no-link
                    -fno-omit-frame-pointer -g)
add_link_options(${CALLFLOW_SANITIZERS})

# Helper: one libFuzzer executable (LLVMFuzzerTestOneInput in SOURCES).
function(callflow_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${CALLFLOW_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()
