# Warnings, sanitizers and the flags every Mirage target shares (through mirage::warnings).
add_library(mirage_warnings INTERFACE)
add_library(mirage::warnings ALIAS mirage_warnings)
# -Wmissing-field-initializers flags every designated initializer that leaves a field at its
# default, which is how Vulkan create-info structs are meant to be filled.
target_compile_options(mirage_warnings INTERFACE -Wall -Wextra -Wshadow=local -Wnon-virtual-dtor
                       -Wno-missing-field-initializers)
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
