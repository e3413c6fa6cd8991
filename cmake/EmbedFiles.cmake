# ptsim_embed_files(TARGET name NAMESPACE ns FUNCTION fn FILES a.json b.json ...)
# Generates a C++ source that holds each file's text, so binaries carry their presets and profiles
# and run from any directory. The generated function returns a sorted list of {file name, text}.
function(ptsim_embed_files)
  cmake_parse_arguments(ARG "" "TARGET;NAMESPACE;FUNCTION" "FILES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_FUNCTION}_embedded.cc)
  set(script ${PROJECT_SOURCE_DIR}/cmake/embed_files_script.cmake)
  set(abs_files "")
  foreach(f IN LISTS ARG_FILES)
    list(APPEND abs_files ${CMAKE_CURRENT_SOURCE_DIR}/${f})
  endforeach()
  list(SORT abs_files)
  string(REPLACE ";" "|" joined "${abs_files}")
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${ARG_NAMESPACE} -DFUNCTION=${ARG_FUNCTION}
            "-DFILES=${joined}" -P ${script}
    DEPENDS ${abs_files} ${script}
    COMMENT "Embedding ${ARG_FUNCTION} files"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE ${out})
endfunction()
