# Checks the module boundaries (cmake/ModuleDeps.cmake): each registered
# target includes only its own headers and those of targets it links
# directly, links no project target it does not include, and no code outside
# a module includes that module's internal/ headers.
#
#   cmake -DMAP=<build>/module_deps.txt -DROOT=<source dir> -P this file
#
# Exit 0 when all hold; otherwise one line per violation, saying what to fix.

cmake_minimum_required(VERSION 3.25)

# Third-party include prefixes and the targets that provide them (any one).
set(third_party
  "rocksdb/=RocksDB::rocksdb"
  "librdkafka/=PkgConfig::RDKAFKA"
  "prometheus/=prometheus-cpp::core,prometheus-cpp::pull"
  "spdlog/=spdlog::spdlog"
  "toml++/=tomlplusplus::tomlplusplus"
  "CLI/=CLI11::CLI11"
  "date/=date::date-tz"
  "phonenumbers/=callflow_phonenumber"
  "atomic_queue/=callflow_atomic_queue,Boost::headers"
  # Generated .pb.h files expose protobuf's API: callflow_proto provides it.
  "google/protobuf/=protobuf::libprotobuf,callflow_proto"
  "callflow/v1/=callflow_proto")

file(STRINGS ${MAP} lines)
set(modules "")
foreach(line IN LISTS lines)
  string(REPLACE "|" ";" fields "${line}")
  list(GET fields 0 name)
  list(GET fields 1 type)
  list(GET fields 2 dir)
  list(GET fields 3 sources)
  list(GET fields 4 libs)
  string(REPLACE "," ";" sources "${sources}")
  string(REPLACE "," ";" libs "${libs}")
  list(APPEND modules ${name})
  set(type_${name} ${type})
  set(dir_${name} ${dir})
  set(sources_${name} ${sources})
  set(libs_${name} ${libs})
  if(NOT type STREQUAL "EXECUTABLE")
    set(lib_of_dir_${dir} ${name})
  endif()
endforeach()

set(errors 0)
macro(violation message)
  message("module_deps: ${message}")
  math(EXPR errors "${errors} + 1")
endmacro()

foreach(m IN LISTS modules)
  set(dir ${dir_${m}})
  # Files of the module: its sources, and the headers beside them. A
  # library also owns every other header of its folder and of internal/.
  set(files "")
  foreach(s IN LISTS sources_${m})
    if(s MATCHES "\\.(cc|h)$")
      list(APPEND files ${s})
      string(REGEX REPLACE "\\.cc$" ".h" h ${s})
      if(EXISTS ${ROOT}/${h})
        list(APPEND files ${h})
      endif()
    endif()
  endforeach()
  if(NOT type_${m} STREQUAL "EXECUTABLE")
    file(GLOB headers RELATIVE ${ROOT} ${ROOT}/${dir}/*.h
         ${ROOT}/${dir}/internal/*.h)
    list(APPEND files ${headers})
  endif()
  list(REMOVE_DUPLICATES files)

  set(used "")
  foreach(f IN LISTS files)
    file(STRINGS ${ROOT}/${f} includes REGEX "^#include [<\"]")
    foreach(inc IN LISTS includes)
      string(REGEX REPLACE "^#include [<\"]([^>\"]+)[>\"].*" "\\1" path "${inc}")
      set(providers "")
      foreach(entry IN LISTS third_party)
        string(REGEX MATCH "^([^=]+)=(.*)$" _ "${entry}")
        string(FIND "${path}" "${CMAKE_MATCH_1}" at)
        if(at EQUAL 0)
          string(REPLACE "," ";" providers "${CMAKE_MATCH_2}")
          break()
        endif()
      endforeach()
      if(NOT providers)
        get_filename_component(inc_dir ${path} DIRECTORY)
        set(is_internal FALSE)
        if(inc_dir MATCHES "/internal$")
          set(is_internal TRUE)
          string(REGEX REPLACE "/internal$" "" inc_dir ${inc_dir})
        endif()
        if(NOT DEFINED lib_of_dir_${inc_dir})
          continue()  # the standard library, Abseil, ...
        endif()
        set(providers ${lib_of_dir_${inc_dir}})
        if(is_internal AND NOT inc_dir STREQUAL dir)
          violation("${f} includes ${path}: internal to ${inc_dir}; use its public headers")
        endif()
      endif()
      list(APPEND used ${providers})
      set(ok FALSE)
      foreach(p IN LISTS providers)
        if(p STREQUAL m OR p IN_LIST libs_${m})
          set(ok TRUE)
        endif()
      endforeach()
      if(NOT ok)
        list(JOIN providers " or " names)
        violation("${f} includes ${path}, but ${m} does not link ${names}: add it to ${m}'s DEPS")
      endif()
    endforeach()
  endforeach()

  foreach(lib IN LISTS libs_${m})
    if(lib IN_LIST modules AND NOT lib IN_LIST used)
      violation("${m} links ${lib} but includes none of its headers: remove it from ${m}'s DEPS")
    endif()
  endforeach()
endforeach()

list(LENGTH modules count)
if(errors GREATER 0)
  message(FATAL_ERROR "module_deps: ${errors} violation(s) in ${count} targets")
endif()
message("module_deps: ${count} targets include only what they link")
