#include "text_file.hpp"

#include <filesystem>
#include <fstream>

namespace wb::driver {

std::string write_text_file(const std::string& path, const std::string& text, const std::string& what) {
  namespace fs = std::filesystem;
  const std::string tmp = path + ".tmp";
  std::string error;
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.close();
    if (!out) error = path + ": cannot write the " + what;
  }
  std::error_code ec;
  if (error.empty()) fs::rename(tmp, path, ec);
  if (error.empty() && ec) error = path + ": cannot rename " + tmp + ": " + ec.message();
  if (!error.empty()) fs::remove(tmp, ec);
  return error;
}

}  // namespace wb::driver
