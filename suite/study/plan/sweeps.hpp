#pragma once
// Expanding a study's `sweeps:` into scenario specs: every model x system x count x strategy of
// each sweep, in that order, sweeps in the order written. A sweep names its strategies, or asks
// for the strategy search: `search: best` gives one spec per setting whose layout the search
// picks when it is evaluated; `search: all` (or `search: true` on the study) gives one spec per
// layout that fits in memory and can form a step, found here from the memory plan and the step
// setup alone (no simulation).
#include <cstdint>
#include <map>
#include <string>

#include "io/key_spec.hpp"
#include "io/yaml_reader.hpp"
#include "study/plan/catalog.hpp"
#include "study/plan/study.hpp"

namespace wb::study::plan {

// Appends the specs of every sweep in `sweeps` to study.scenarios; by_id maps each id to its
// index. Fails at the offending value for unknown names, words, duplicate ids. The scenarios are
// counted from the sweeps' lists before any is expanded: a study of more than max_scenarios fails
// at the name of the sweep that crosses the limit, with the count, instead of running out of
// memory (a `search: all` sweep, whose layouts are known only as they are found, fails as soon as
// it crosses it).
void expand_sweeps(const io::YamlValue& sweeps, Study& study, Catalog& catalog,
                   const gpu::FrameworkSpec& default_framework, std::map<std::string, std::int64_t>& by_id,
                   std::int64_t max_scenarios);

// The keys of one sweep, below it (`waferbench list studies --keys`).
const io::KeyTable& sweep_keys();

}  // namespace wb::study::plan
