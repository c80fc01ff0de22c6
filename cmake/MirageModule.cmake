# mirage_add_module(<name> SOURCES ... [DEPS <mirage modules>] [LINK <targets>] [PRIVATE_LINK <targets>])
#   A static library 'mirage_<name>' with the alias 'mirage::<name>', rooted at engine/<name>.
#   The repo root is the include root ("engine/core/log.h"). Its sources are checked against the
#   layout rules (cmake/MirageLayout.cmake) before it compiles, so a forbidden include fails the build.
include(MirageLayout)

function(mirage_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LINK;PRIVATE_LINK" ${ARGN})
  set(target mirage_${name})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(mirage::${name} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  foreach(dep IN LISTS ARG_DEPS)
    target_link_libraries(${target} PUBLIC mirage::${dep})
  endforeach()
  target_link_libraries(${target} PUBLIC ${ARG_LINK} PRIVATE ${ARG_PRIVATE_LINK} mirage::warnings)
  mirage_check_layout(${target} ${name} ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()

# mirage_add_executable(<target> <layout rule> SOURCES ... LINK ...): a thin program in build/bin.
function(mirage_add_executable target rule)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(${target} PRIVATE ${ARG_LINK} mirage::warnings)
  mirage_check_layout(${target} ${rule} ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()
