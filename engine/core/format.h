// format("{} faces in {:.1f} s", n, seconds): a small stand-in for std::format, which g++ 12 lacks.
// Placeholders: "{}" (operator<< of the argument) and "{:.Nf}" (fixed, N decimals). "{{" and "}}"
// are literal braces. Extra placeholders print "{?}"; extra arguments are ignored.
#pragma once

#include <cstddef>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

namespace mirage {
namespace detail {

// Writes fmt up to the next placeholder into out; returns its precision (-1: none, -2: no more).
int format_until_placeholder(std::ostream& out, std::string_view fmt, std::size_t& pos);

template <class T>
void format_one(std::ostream& out, const T& value, int precision) {
  if constexpr (requires { out << value; }) {
    if (precision >= 0) {
      const auto flags = out.flags();
      const auto old_precision = out.precision(precision);
      out << std::fixed << value;
      out.flags(flags);
      out.precision(old_precision);
    } else {
      out << value;
    }
  } else {
    static_assert(sizeof(T) == 0, "format(): argument type has no operator<<");
  }
}

}  // namespace detail

template <class... Args>
std::string format(std::string_view fmt, const Args&... args) {
  std::ostringstream out;
  std::size_t pos = 0;
  auto next = [&](const auto& value) {
    const int precision = detail::format_until_placeholder(out, fmt, pos);
    if (precision != -2) detail::format_one(out, value, precision);
  };
  (next(args), ...);
  while (detail::format_until_placeholder(out, fmt, pos) != -2) out << "{?}";
  return out.str();
}

}  // namespace mirage
