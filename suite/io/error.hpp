#pragma once
// Typed errors raised below main(); the driver turns each into one message and an exit code.
#include <stdexcept>
#include <string>

namespace wb::io {

// Bad user input: a YAML file, a name, a sweep. Carries file:line:column and the key path so the
// message points at the exact place to fix. Exit code 2.
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, int line, int column, std::string key, std::string what);
  explicit InputError(std::string what);  // input error not tied to a file position

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& key() const { return key_; }

 private:
  std::string file_;
  int line_ = 0;
  int column_ = 0;
  std::string key_;
};

// A file could not be read, created or written (HDF5, filesystem). Exit code 2 as well: the user
// has to fix a path or a permission, not the program.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Formats "file:line:column: key: what" leaving out the parts that are unknown.
std::string format_location(const std::string& file, int line, int column, const std::string& key,
                            const std::string& what);

}  // namespace wb::io
