# Module boundaries. Every project library and the `callflow` binary may
# include only its own headers and those of the targets it links directly;
# processor/<module>/internal/ headers are for their own module (and tests,
# benches, fuzzers). callflow_write_module_map() writes what CMake knows of
# each target to a file; the `module_deps` test (tests/cmake/
# check_module_deps.cmake) reads it and compares it with the #include lines.

# Registers a target for the check (callflow_library does it for libraries).
function(callflow_module target)
  set_property(GLOBAL APPEND PROPERTY CALLFLOW_MODULES ${target})
endfunction()

# One line per registered target:
#   name|TYPE|source dir (relative)|source,...|link library,...
function(callflow_write_module_map file)
  get_property(modules GLOBAL PROPERTY CALLFLOW_MODULES)
  set(out "")
  foreach(t IN LISTS modules)
    get_target_property(dir ${t} SOURCE_DIR)
    file(RELATIVE_PATH rel_dir ${PROJECT_SOURCE_DIR} ${dir})
    get_target_property(type ${t} TYPE)
    get_target_property(sources ${t} SOURCES)
    set(rel_sources "")
    foreach(s IN LISTS sources)
      if(NOT IS_ABSOLUTE ${s})
        set(s ${dir}/${s})
      endif()
      file(RELATIVE_PATH s ${PROJECT_SOURCE_DIR} ${s})
      list(APPEND rel_sources ${s})
    endforeach()
    if(type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(libs ${t} INTERFACE_LINK_LIBRARIES)
    else()
      get_target_property(libs ${t} LINK_LIBRARIES)
    endif()
    if(NOT libs)
      set(libs "")
    endif()
    # $<TARGET_NAME_IF_EXISTS:x> is a dependency on x where x is built.
    list(TRANSFORM libs REPLACE "^\\$<TARGET_NAME_IF_EXISTS:(.*)>$" "\\1")
    list(JOIN rel_sources "," rel_sources)
    list(JOIN libs "," libs)
    string(APPEND out "${t}|${type}|${rel_dir}|${rel_sources}|${libs}\n")
  endforeach()
  file(WRITE ${file} "${out}")
endfunction()
