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

# The allocator of the executables (`callflow`, `callflow-bench`,
# `callflow_micro_bench`, the tests): jemalloc (libjemalloc-dev) by default,
# chosen by measurement (docs/PERFORMANCE.md "Allocator"); `mimalloc`
# (libmimalloc-dev) or `system` (glibc's malloc) rebuild the alternatives.
# Both libraries replace malloc/free process-wide when linked, so librdkafka
# and RocksDB allocate through them too. Not used by the fuzz build (its
# sanitizers bring their own allocator).
set(CALLFLOW_ALLOCATOR jemalloc CACHE STRING
    "malloc of the executables: jemalloc, mimalloc or system")
set_property(CACHE CALLFLOW_ALLOCATOR PROPERTY STRINGS jemalloc mimalloc system)
add_library(callflow_allocator INTERFACE)
if(NOT CALLFLOW_FUZZ)
  if(CALLFLOW_ALLOCATOR STREQUAL "jemalloc")
    find_library(JEMALLOC_LIBRARY jemalloc REQUIRED)
    set(allocator_library ${JEMALLOC_LIBRARY})
    # Its options (the malloc_conf symbol), compiled into each executable.
    target_sources(callflow_allocator INTERFACE
      ${PROJECT_SOURCE_DIR}/processor/util/jemalloc_options.cc)
  elseif(CALLFLOW_ALLOCATOR STREQUAL "mimalloc")
    find_library(MIMALLOC_LIBRARY mimalloc REQUIRED)
    set(allocator_library ${MIMALLOC_LIBRARY})
  elseif(NOT CALLFLOW_ALLOCATOR STREQUAL "system")
    message(FATAL_ERROR "CALLFLOW_ALLOCATOR must be jemalloc, mimalloc or "
                        "system, not '${CALLFLOW_ALLOCATOR}'")
  endif()
  if(NOT CALLFLOW_ALLOCATOR STREQUAL "system")
    # Kept even with --as-needed: nothing references its symbols by name
    # before libc, yet it must come first to replace malloc.
    target_link_libraries(callflow_allocator INTERFACE
      "-Wl,--push-state,--no-as-needed" ${allocator_library}
      "-Wl,--pop-state")
  endif()
  message(STATUS "callflow: allocator ${CALLFLOW_ALLOCATOR}")
endif()

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
  # LANE <name>: multi-process tests (several `callflow run` children and a
  # mock cluster each). Two tests of one lane never run at the same time;
  # tests of different lanes and ordinary tests may run beside them. These
  # tests spend most of their time waiting on the group's rebalances (a
  # quarter of a core on average), so two lanes keep them off the suite's
  # critical path without crowding the cores.
  cmake_parse_arguments(ARG "" "TIMEOUT;LANE" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  # The test files themselves at -O1 (they wait on brokers and processes, the
  # code they test keeps the build's -O3): a third less compile time.
  target_compile_options(${name} PRIVATE ${CALLFLOW_WARNINGS}
    $<$<CONFIG:Release>:-O1>)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} callflow_test_support
    GTest::gtest_main GTest::gmock callflow_allocator)
  # Unity batches of 8 files: gtest and gmock are parsed once per batch, not
  # once per file. Names at namespace scope must differ between the files of
  # one test binary.
  set_target_properties(${name} PROPERTIES
    UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  # One label: gtest_discover_tests flattens a list of them.
  set(properties LABELS "${ARG_LABELS}")
  if(ARG_TIMEOUT)
    list(APPEND properties TIMEOUT ${ARG_TIMEOUT})
  endif()
  if(ARG_LANE)
    # A high COST makes ctest start these first (a clean clone has no
    # measured costs yet): each lane is a chain of long tests, and started
    # last it would run alone at the end.
    list(APPEND properties RESOURCE_LOCK callflow_multi_process_${ARG_LANE}
      COST 1000)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES ${properties}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()
