# Generates mirage/build_info.h: the version of Mirage and of every dependency found at configure time.
foreach(dep TORCH JSON OPENCV DLIB VULKAN GLFW IMGUI GTEST)
  if(NOT MIRAGE_${dep}_VERSION)
    set(MIRAGE_${dep}_VERSION "not built in")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.h.in ${PROJECT_BINARY_DIR}/generated/mirage/build_info.h @ONLY)
