#include "io/error.hpp"

namespace wb::io {

std::string format_location(const std::string& file, int line, int column, const std::string& key,
                            const std::string& what) {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) {
      out += ":" + std::to_string(line);
      if (column > 0) out += ":" + std::to_string(column);
    }
    out += ": ";
  }
  if (!key.empty()) out += key + ": ";
  out += what;
  return out;
}

InputError::InputError(std::string file, int line, int column, std::string key, std::string what)
    : std::runtime_error(format_location(file, line, column, key, what)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_(std::move(key)) {}

InputError::InputError(std::string what) : std::runtime_error(std::move(what)) {}

}  // namespace wb::io
