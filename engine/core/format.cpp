#include "engine/core/format.h"

#include <charconv>

namespace mirage::detail {

int format_until_placeholder(std::ostream& out, std::string_view fmt, std::size_t& pos) {
  while (pos < fmt.size()) {
    const char c = fmt[pos];
    if ((c == '{' || c == '}') && pos + 1 < fmt.size() && fmt[pos + 1] == c) {
      out << c;
      pos += 2;
      continue;
    }
    if (c == '{') {
      const std::size_t close = fmt.find('}', pos);
      if (close == std::string_view::npos) break;
      const std::string_view spec = fmt.substr(pos + 1, close - pos - 1);
      pos = close + 1;
      int precision = -1;
      // Only "{:.Nf}" is understood; any other spec prints like "{}".
      if (spec.size() >= 4 && spec.starts_with(":.") && spec.back() == 'f') {
        const auto digits = spec.substr(2, spec.size() - 3);
        std::from_chars(digits.data(), digits.data() + digits.size(), precision);
      }
      return precision;
    }
    out << c;
    ++pos;
  }
  out << fmt.substr(std::min(pos, fmt.size()));
  pos = fmt.size();
  return -2;
}

}  // namespace mirage::detail
