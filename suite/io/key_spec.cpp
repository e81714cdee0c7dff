#include "io/key_spec.hpp"

namespace wb::io {

namespace {

KeyObserver g_observer = nullptr;

}  // namespace

std::string value_text(const KeySpec& key) {
  const std::string unit = dim_name(key.dim) + std::string(" (") + dim_example(key.dim) + ")";
  switch (key.value) {
    case KeyValue::text: return "text";
    case KeyValue::word: return "word";
    case KeyValue::flag: return "true|false";
    case KeyValue::integer: return "integer";
    case KeyValue::number: return "number";
    case KeyValue::fraction: return "fraction (0.5 or 50%)";
    case KeyValue::quantity: return key.dim == Dim::count ? "number" : unit;
    case KeyValue::figure: return "figure: " + (key.dim == Dim::count ? std::string("number") : unit);
    case KeyValue::list: return "list";
    case KeyValue::block: return "block";
  }
  return "?";
}

KeyTable under(const std::string& prefix, const KeyTable& keys) {
  KeyTable out = keys;
  for (KeySpec& k : out) k.path = prefix + "." + k.path;
  return out;
}

void append(KeyTable& into, const KeyTable& more) { into.insert(into.end(), more.begin(), more.end()); }

void observe_keys(KeyObserver observer) { g_observer = observer; }
KeyObserver key_observer() { return g_observer; }

}  // namespace wb::io
