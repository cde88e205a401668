# Every dependency comes from a Debian package (see docs/ARCHITECTURE.md).
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(absl REQUIRED)
find_package(RocksDB REQUIRED)
find_package(prometheus-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(date REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++ rdkafka)

find_library(PHONENUMBER_LIBRARY phonenumber REQUIRED)
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
add_library(callflow_phonenumber INTERFACE)
target_link_libraries(callflow_phonenumber INTERFACE ${PHONENUMBER_LIBRARY})
target_include_directories(callflow_phonenumber INTERFACE ${PHONENUMBER_INCLUDE_DIR})

# atomic_queue (libatomic-queue-dev) is header-only, in /usr/include.
find_path(ATOMIC_QUEUE_INCLUDE_DIR atomic_queue/atomic_queue.h REQUIRED)
add_library(callflow_atomic_queue INTERFACE)
target_include_directories(callflow_atomic_queue INTERFACE
  ${ATOMIC_QUEUE_INCLUDE_DIR})

include(${CMAKE_CURRENT_LIST_DIR}/ModuleDeps.cmake)

# Helper: a project library with the project's warnings and include root.
function(callflow_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${CALLFLOW_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  callflow_module(${name})
endfunction()

# Helper: a gtest executable registered with ctest, one ctest test per gtest
# case. TIMEOUT (seconds, optional) applies to each case.
function(callflow_test name)
  # SERIAL: the test runs with no other SERIAL test beside it (multi-process
  # tests: several `callflow run` children and a mock cluster each); one
  # ordinary test may run next to it, so the 2 cores stay busy.
  cmake_parse_arguments(ARG "SERIAL" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CALLFLOW_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} callflow_test_support
    GTest::gtest_main GTest::gmock)
  # One label: gtest_discover_tests flattens a list of them.
  set(properties LABELS "${ARG_LABELS}")
  if(ARG_TIMEOUT)
    list(APPEND properties TIMEOUT ${ARG_TIMEOUT})
  endif()
  if(ARG_SERIAL)
    list(APPEND properties RESOURCE_LOCK callflow_multi_process)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES ${properties}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()
