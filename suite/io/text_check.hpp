#pragma once
// Is a file's content text? Input files are UTF-8 text as YAML 1.2 defines it (Sec. 5.1: printable
// characters, tab, line feed, carriage return); a binary file given by mistake (a result .h5, an
// executable, an image) is refused here, before a parser echoes pieces of it back to the terminal.
#include <string>

namespace wb::io {

// Throws InputError "file:line:column: not a text file (...)" at the first NUL byte, other
// control character or byte sequence that is not UTF-8. The message names the place and the
// byte's value in hex, never the raw bytes. A UTF-8 byte-order mark at the start is accepted; a
// UTF-16 one is named as such.
void require_text(const std::string& bytes, const std::string& file);

}  // namespace wb::io
