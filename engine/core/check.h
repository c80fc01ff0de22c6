// MIRAGE_CHECK: tier-1 errors (programmer errors, broken invariants). Aborts with the expression,
// file and line. Anything a user or a file can cause returns an Error instead (error.h).
#pragma once

#include <cstdio>
#include <cstdlib>

#define MIRAGE_CHECK(cond)                                                                   \
  do {                                                                                       \
    if (!(cond)) [[unlikely]] {                                                              \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);          \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

#define MIRAGE_CHECK_MSG(cond, msg)                                                          \
  do {                                                                                       \
    if (!(cond)) [[unlikely]] {                                                              \
      std::fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #cond, msg); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
