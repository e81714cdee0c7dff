// libFuzzer target: any bytes given as a study, model, system or framework file must end in a
// result or in one InputError (a message with file and line) - never another exception, a crash
// or undefined behaviour. The first byte picks which loader sees the rest; names inside studies
// resolve against the bundled inputs. A study is planned as `waferbench run` plans it (loaded,
// then every spec checked by its evaluator), which computes nothing, so each input is fast.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gpu/framework.hpp"
#include "io/error.hpp"
#include "io/file_source.hpp"
#include "io/yaml_reader.hpp"
#include "model/model_yaml.hpp"
#include "study/plan/catalog.hpp"
#include "study/plan/study.hpp"
#include "study/run/evaluator.hpp"

namespace {

// Serves the fuzzed text as inputs/<category>/fuzzed.yaml and the bundled files otherwise.
class FuzzFiles final : public wb::io::FileSource {
 public:
  explicit FuzzFiles(std::string text) : text_(std::move(text)) {}
  std::optional<std::string> read(const std::string& path) override {
    if (path.size() >= 11 && path.compare(path.size() - 11, 11, "fuzzed.yaml") == 0) return text_;
    return local_.read(path);
  }
  std::vector<std::string> list(const std::string& dir, const std::string& ext) override { return local_.list(dir, ext); }
  bool exists(const std::string& path) override { return local_.exists(path); }

 private:
  std::string text_;
  wb::io::LocalFiles local_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int which = data[0] % 4;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  FuzzFiles files(text);
  wb::study::plan::Catalog catalog(WB_FUZZ_INPUTS_DIR, files);
  try {
    switch (which) {
      case 0: {
        wb::study::plan::Study study = wb::study::plan::load_study(text, "fuzzed.yaml", catalog);
        wb::study::run::validate(study);
        break;
      }
      case 1: catalog.model(std::string("fuzzed")); break;
      case 2: catalog.system(std::string("fuzzed")); break;
      case 3: catalog.framework(std::string("fuzzed")); break;
    }
  } catch (const wb::io::InputError&) {
  }
  return 0;
}
