# rnnc_add_cell(<target> <file.cell> DIMS <NAME=VALUE>...
#               [NAME <symbol prefix>] [TARGET_CPU <cpu>] [TARGET_FEATURES <+f,-g>])
#
# Compiles a cell ahead of time at build time, and again whenever the .cell
# file or rnnc itself changes, into <target>: a static library of its
# kernels, whose users #include "<target>.h". The header's functions are
# <symbol prefix>_forward_inference and so on; the prefix defaults to
# <target> made a C identifier. The code is for the build machine's CPU
# unless TARGET_CPU names another.
#
# Works in rnnc's own tree and from an installed rnnc (find_package(rnnc)
# includes this file); either way it runs the executable target rnnc::rnnc.
include_guard(GLOBAL)
find_package(Threads REQUIRED)

function(rnnc_add_cell target file)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "NAME;TARGET_CPU;TARGET_FEATURES" "DIMS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "rnnc_add_cell(${target}): unexpected arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_DIMS)
    message(FATAL_ERROR "rnnc_add_cell(${target}): DIMS is missing, e.g. DIMS I=128 H=256")
  endif()
  if(NOT TARGET rnnc::rnnc)
    message(FATAL_ERROR "rnnc_add_cell(${target}): no rnnc::rnnc target; call find_package(rnnc) first")
  endif()
  if(NOT arg_NAME)
    string(MAKE_C_IDENTIFIER "${target}" arg_NAME)
  endif()
  cmake_path(ABSOLUTE_PATH file BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE OUTPUT_VARIABLE cell)

  set(options --name ${arg_NAME})
  foreach(dimension IN LISTS arg_DIMS)
    list(APPEND options -D ${dimension})
  endforeach()
  if(arg_TARGET_CPU)
    list(APPEND options --target-cpu ${arg_TARGET_CPU})
  endif()
  if(arg_TARGET_FEATURES)
    list(APPEND options --target-features ${arg_TARGET_FEATURES})
  endif()

  set(directory "${CMAKE_CURRENT_BINARY_DIR}/${target}.rnnc")
  set(object "${directory}/${target}.o")
  set(header "${directory}/${target}.h")
  add_custom_command(
    OUTPUT "${object}" "${header}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${directory}"
    COMMAND rnnc::rnnc compile "${cell}" ${options} -o "${directory}/${target}"
    DEPENDS "${cell}" "$<TARGET_FILE:rnnc::rnnc>"
    COMMENT "rnnc: compiling ${file} into ${target}"
    VERBATIM)
  set_source_files_properties("${object}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${target} STATIC "${object}" "${header}")
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${target} INTERFACE "${directory}")
  # The kernels start POSIX threads (in libc itself from glibc 2.34 on).
  target_link_libraries(${target} INTERFACE Threads::Threads)
endfunction()
