# The dependency rules of docs/ARCHITECTURE.md as data. For each rule name: what its sources may
# include. 'engine/<m>' entries are Mirage modules; the rest are families of third-party headers
# whose include patterns cmake/CheckLayout.cmake knows. Anything not listed is forbidden.
set(MIRAGE_LAYOUT_core      json)
set(MIRAGE_LAYOUT_media     engine/core opencv)
set(MIRAGE_LAYOUT_face      engine/core engine/media opencv dlib)
set(MIRAGE_LAYOUT_model     engine/core torch)
set(MIRAGE_LAYOUT_train     engine/core engine/model engine/face engine/media torch opencv)
set(MIRAGE_LAYOUT_swap      engine/core engine/face engine/media engine/model engine/render torch opencv)
set(MIRAGE_LAYOUT_render    engine/core vulkan)
set(MIRAGE_LAYOUT_workspace engine/core engine/media engine/face engine/model engine/train
                            engine/swap engine/render torch opencv dlib vulkan json)
set(MIRAGE_LAYOUT_editor    engine/core engine/render engine/workspace vulkan glfw imgui json)
set(MIRAGE_LAYOUT_tools     engine/core engine/media engine/face engine/model engine/train
                            engine/swap engine/render engine/workspace json)

set(MIRAGE_CHECK_LAYOUT_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/CheckLayout.cmake)

# mirage_check_layout(<target> <rule> <folder>): before <target> compiles, fail the build if any
# source under <folder> includes something that <rule> does not allow.
function(mirage_check_layout target rule folder)
  if(NOT DEFINED MIRAGE_LAYOUT_${rule})
    message(FATAL_ERROR "No layout rule '${rule}' in cmake/MirageLayout.cmake")
  endif()
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS
       ${folder}/*.h ${folder}/*.hpp ${folder}/*.cpp ${folder}/*.cc)
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.layout.stamp)
  string(REPLACE ";" "," allowed "${MIRAGE_LAYOUT_${rule}}")
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DRULE=${rule} "-DALLOWED=${allowed}" -DFOLDER=${folder}
            -DSTAMP=${stamp} -P ${MIRAGE_CHECK_LAYOUT_SCRIPT}
    DEPENDS ${sources} ${MIRAGE_CHECK_LAYOUT_SCRIPT} ${PROJECT_SOURCE_DIR}/cmake/MirageLayout.cmake
    COMMENT "Checking layout rules for ${target}"
    VERBATIM)
  add_custom_target(${target}_layout DEPENDS ${stamp})
  add_dependencies(${target} ${target}_layout)
endfunction()
