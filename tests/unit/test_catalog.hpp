#pragma once
// The bundled inputs (models, systems, frameworks under inputs/) loaded once per test program,
// for the unit tests that need real model and system files.
#include "io/file_source.hpp"
#include "study/catalog.hpp"

namespace wb::test {

inline study::Catalog& catalog() {
  static io::LocalFiles files;
  static study::Catalog c(WB_TEST_INPUTS_DIR, files);
  return c;
}

}  // namespace wb::test
