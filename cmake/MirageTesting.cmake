# mirage_add_test(<name> SOURCES ... LINK ... LABELS unit|gpu|e2e|slow [TIMEOUT s] [ARGS ...]
#                 [OWN_MAIN])
#   A GoogleTest program in build/bin/tests registered with ctest. Exit code 77 means "skipped"
#   (a gpu test on a machine without a Vulkan device says why and returns 77). OWN_MAIN: the
#   sources define main() (to decide on skipping before RUN_ALL_TESTS), so gtest_main is not linked.
include(GoogleTest)

# Sanitizer builds run 2-5x slower: time limits are four times as long there.
if(MIRAGE_SANITIZE)
  set(MIRAGE_TIMEOUT_SCALE 4)
else()
  set(MIRAGE_TIMEOUT_SCALE 1)
endif()
# mirage_test_limit(<test> <seconds>): the test's time limit, scaled as above.
function(mirage_test_limit test seconds)
  math(EXPR seconds "${seconds} * ${MIRAGE_TIMEOUT_SCALE}")
  set_tests_properties(${test} PROPERTIES TIMEOUT ${seconds})
endfunction()

function(mirage_add_test name)
  cmake_parse_arguments(ARG "OWN_MAIN" "TIMEOUT" "SOURCES;LINK;LABELS;ARGS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin/tests)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_LINK} GTest::gtest mirage::warnings)
  if(NOT ARG_OWN_MAIN)
    target_link_libraries(${name} PRIVATE GTest::gtest_main)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name} ${ARG_ARGS})
  math(EXPR ARG_TIMEOUT "${ARG_TIMEOUT} * ${MIRAGE_TIMEOUT_SCALE}")
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       SKIP_RETURN_CODE 77
                       ENVIRONMENT "MIRAGE_SOURCE_DIR=${PROJECT_SOURCE_DIR};MIRAGE_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
