# Warnings, sanitizers and the flags every Mirage target shares (through mirage::warnings).
add_library(mirage_warnings INTERFACE)
add_library(mirage::warnings ALIAS mirage_warnings)
# -Wmissing-field-initializers flags every designated initializer that leaves a field at its
# default, which is how Vulkan create-info structs are meant to be filled.
target_compile_options(mirage_warnings INTERFACE -Wall -Wextra -Wnon-virtual-dtor
                       -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(mirage_warnings INTERFACE -Wshadow=local)
endif()
if(MIRAGE_WERROR)
  target_compile_options(mirage_warnings INTERFACE -Werror)
endif()

if(MIRAGE_SANITIZE)
  if(NOT MIRAGE_SANITIZE MATCHES "^(address|undefined|thread|address,undefined|undefined,address)$")
    message(FATAL_ERROR "MIRAGE_SANITIZE must be address, undefined, address,undefined or thread (got '${MIRAGE_SANITIZE}')")
  endif()
  add_compile_options(-fsanitize=${MIRAGE_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${MIRAGE_SANITIZE})
  if(MIRAGE_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()

# The fuzz build (tools/fuzz): every translation unit instrumented for libFuzzer's coverage, with
# AddressSanitizer and UndefinedBehaviorSanitizer; tests/fuzz then adds a libFuzzer program per
# target. Needs clang >= 16: clang 14 and 15 cannot compile libstdc++ 12's std::expected (they lack
# P0848, conditionally trivial special members). Clang 16 has it but still reports __cpp_concepts
# 201907, which hides <expected>; the definition below says what it implements.
option(MIRAGE_FUZZ "Build the libFuzzer targets in tests/fuzz (clang >= 16)" OFF)
if(MIRAGE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
    message(FATAL_ERROR "MIRAGE_FUZZ needs clang >= 16 (got ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}); tools/fuzz sets it up")
  endif()
  if(MIRAGE_SANITIZE)
    message(FATAL_ERROR "MIRAGE_FUZZ brings its own sanitizers; leave MIRAGE_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -g -Wno-macro-redefined -D__cpp_concepts=202002L)
  add_link_options(-fsanitize=address,undefined)
endif()
