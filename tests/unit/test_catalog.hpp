#pragma once
// The bundled inputs (models, systems, frameworks under inputs/) loaded once per test program,
// for the unit tests that need real model and system files, and a study planned from them the
// way `waferbench run` plans one (loaded, then every spec checked by its evaluator).
#include <string>

#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"
#include "study/plan/study.hpp"
#include "study/run/evaluator.hpp"

namespace wb::test {

inline study::plan::Catalog& catalog() {
  static io::LocalFiles files;
  static study::plan::Catalog c(WB_TEST_INPUTS_DIR, files);
  return c;
}

inline study::plan::Study plan_study(const std::string& text, const std::string& file) {
  study::plan::Study st = study::plan::load_study(text, file, catalog());
  study::run::validate(st);
  return st;
}

}  // namespace wb::test
