#pragma once
// Input keys documented where they are read, as result columns are (study/schema): each parser
// keeps a table of the keys it reads beside it - the dotted path below the file's root
// ("architecture.layers"; "sweeps[].models" for every item of a list), the type of the value
// and its unit, whether it must be given, and what it means. `waferbench list <what> --keys`
// prints the tables. A unit test reads every bundled input while observing the keys the parsers
// ask for (observe_keys), so a key that is read but not declared fails it.
#include <string>
#include <vector>

#include "io/units.hpp"

namespace wb::io {

enum class KeyValue {
  text,      // free text
  word,      // one of the words the meaning lists
  flag,      // true or false
  integer,   // a whole number
  number,    // a plain number
  fraction,  // 0.5 or 50%
  quantity,  // a number with a unit of `dim` ("40GiB")
  figure,    // {value: <quantity of `dim`>, source: "...", assumption: true|false, note, measured}
  list,      // a list (or one item taken as a list of one)
  block,     // a map of further keys
};

struct KeySpec {
  std::string path;
  KeyValue value = KeyValue::text;
  Dim dim = Dim::count;  // quantity and figure: the unit type
  bool required = false;
  std::string meaning;
};
using KeyTable = std::vector<KeySpec>;

// The value's type as the listing prints it: "integer", "bytes (40GiB)", "figure: bytes/s (200Gb/s)".
std::string value_text(const KeySpec& key);

// The keys of `keys` below `prefix` ("performance" turns "sm_count" into "performance.sm_count").
KeyTable under(const std::string& prefix, const KeyTable& keys);
// Appends `more` to `into`.
void append(KeyTable& into, const KeyTable& more);

// Testing aid: called with the path of every key a YamlMap is asked for, present or not
// ("sweeps[0].workload.seq_len"); null (the default) records nothing.
using KeyObserver = void (*)(const std::string& path);
void observe_keys(KeyObserver observer);
KeyObserver key_observer();

}  // namespace wb::io
