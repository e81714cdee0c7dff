#pragma once
// Writing the small text files the commands produce (node files, model files) so that a crash or
// a full disk never leaves a half-written file under the final name.
#include <string>

namespace wb::driver {

// Writes `text` to path.tmp and renames it to `path`. Returns "" on success, else the message
// ("<path>: cannot write the <what>"); the temporary file is removed then.
std::string write_text_file(const std::string& path, const std::string& text, const std::string& what);

}  // namespace wb::driver
