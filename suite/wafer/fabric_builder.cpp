#include "wafer/fabric_builder.hpp"

#include <stdexcept>
#include <string>
#include <tuple>

namespace wb::wafer::fabric {

namespace {

auto op_key(const fk::Op& o) {
  return std::make_tuple(o.kind, o.flags, o.cin, o.cout, o.cin2, o.ctr, o.amode, o.bmode, o.pred, o.n, o.len, o.rows, o.a,
                         o.b, o.c, o.row0, o.col0, o.period, o.step, o.aoff, o.boff, o.stride, o.pred_v, o.zero_threshold,
                         o.seed);
}

bool is_jump(const fk::Op& o) { return o.kind == fk::kFor || o.kind == fk::kNext; }

}  // namespace

int Tables::route(const RouteTable& r) {
  for (std::size_t i = 0; i < routes.size(); ++i) {
    bool same = true;
    for (int c = 0; c < fk::kMaxColours; ++c) same = same && routes[i][c].rx == r[c].rx && routes[i][c].tx == r[c].tx;
    if (same) return static_cast<int>(i);
  }
  if (routes.size() >= 256) throw std::logic_error("fabric mapping needs more than 256 route tables");
  routes.push_back(r);
  return static_cast<int>(routes.size() - 1);
}

int Tables::program(const std::vector<fk::Op>& ops) {
  if (ops.size() >= fk::kMaxOps) throw std::logic_error("fabric program longer than kMaxOps");
  OpList list{};
  for (std::size_t i = 0; i < ops.size(); ++i) list[i] = ops[i];
  for (std::size_t i = 0; i < programs.size(); ++i) {
    bool same = true;
    for (int k = 0; k < fk::kMaxOps; ++k) same = same && op_key(programs[i][k]) == op_key(list[k]);
    if (same) return static_cast<int>(i);
  }
  if (programs.size() >= 256) throw std::logic_error("fabric mapping needs more than 256 programs");
  programs.push_back(list);
  return static_cast<int>(programs.size() - 1);
}

fk::Route rt(int rx, std::uint8_t tx) {
  fk::Route r;
  r.rx = static_cast<std::int8_t>(rx);
  r.tx = tx;
  return r;
}

fk::Op make(std::uint8_t kind, std::uint8_t flags, int cin, int cout) {
  fk::Op o;
  o.kind = kind;
  o.flags = flags;
  o.cin = static_cast<std::int8_t>(cin);
  o.cout = static_cast<std::int8_t>(cout);
  return o;
}

fk::Op& OpSequence::add(const fk::Op& op) {
  ops_.push_back(op);
  return ops_.back();
}

void OpSequence::begin_loop(int counter, std::int32_t trips) {
  fk::Op o = make(fk::kFor, 0, -1, -1);
  o.ctr = static_cast<std::int8_t>(counter);
  o.n = trips;
  open_.push_back(ops_.size());
  ops_.push_back(o);
}

void OpSequence::end_loop(std::int32_t step) {
  if (open_.empty()) throw std::logic_error("OpSequence::end_loop without begin_loop");
  const std::size_t head = open_.back();
  open_.pop_back();
  fk::Op o = make(fk::kNext, 0, -1, -1);
  o.ctr = ops_[head].ctr;
  o.n = ops_[head].n;
  o.a = static_cast<std::int32_t>(head + 1);
  o.step = step;
  ops_.push_back(o);
  ops_[head].b = static_cast<std::int32_t>(ops_.size());
}

std::vector<fk::Op> with_repeats(const std::vector<fk::Op>& body, std::int64_t warmup, std::int64_t repeats,
                                 const std::vector<Accumulator>& accumulators) {
  if (warmup + repeats <= 1) return body;
  std::vector<fk::Op> head;
  fk::Op loop = make(fk::kFor, 0, -1, -1);
  loop.ctr = 0;
  loop.n = static_cast<std::int32_t>(warmup + repeats);
  head.push_back(loop);
  fk::Op timer = make(fk::kTimer, 0, -1, -1);
  timer.n = static_cast<std::int32_t>(warmup);
  head.push_back(timer);
  for (const auto& acc : accumulators) {
    fk::Op z = make(fk::kZero, 0, -1, -1);
    z.a = acc.offset;
    z.n = acc.words;
    head.push_back(z);
  }
  const auto shift = static_cast<std::int32_t>(head.size());
  std::vector<fk::Op> out = head;
  for (fk::Op o : body) {
    if (o.kind == fk::kEnd) break;
    if (is_jump(o)) {
      if (o.ctr == 0) throw std::logic_error("with_repeats: the body uses loop counter 0");
      o.a += shift;
      o.b += shift;
    }
    out.push_back(o);
  }
  fk::Op next = make(fk::kNext, 0, -1, -1);
  next.ctr = 0;
  next.n = loop.n;
  next.a = 1;
  out.push_back(next);
  out[0].b = static_cast<std::int32_t>(out.size());
  return out;
}

LineRoutes line_routes(const std::vector<int>& dst, bool horizontal, const std::vector<int>& pool) {
  const int n = static_cast<int>(dst.size());
  LineRoutes lr;
  lr.at.assign(static_cast<std::size_t>(n), RouteTable{});
  lr.send_colour.assign(static_cast<std::size_t>(n), -1);
  lr.recv_colour.assign(static_cast<std::size_t>(n), -1);
  const int up = horizontal ? fk::kEast : fk::kSouth;  // towards higher positions
  const int down = horizontal ? fk::kWest : fk::kNorth;
  for (int x = 0; x < n; ++x) {
    const int d = dst[static_cast<std::size_t>(x)];
    if (d < 0 || d == x) continue;
    const int dir = d > x ? up : down;
    const int from = fk::opposite(dir);
    const int lo = std::min(x, d), hi = std::max(x, d);
    int colour = -1;
    for (int c : pool) {
      bool free = true;
      for (int k = lo; k <= hi && free; ++k) free = lr.at[static_cast<std::size_t>(k)][c].rx < 0;
      if (free) {
        colour = c;
        break;
      }
    }
    if (colour < 0) throw std::logic_error("line_routes: " + std::to_string(pool.size()) + " colours are not enough");
    for (int k = lo; k <= hi; ++k) {
      auto& r = lr.at[static_cast<std::size_t>(k)][colour];
      if (k == x) r = rt(fk::kRamp, fk::port_bit(dir));
      else if (k == d) r = rt(from, R);
      else r = rt(from, fk::port_bit(dir));
    }
    lr.send_colour[static_cast<std::size_t>(x)] = colour;
    if (lr.recv_colour[static_cast<std::size_t>(d)] >= 0) throw std::logic_error("line_routes: a PE receives two transfers");
    lr.recv_colour[static_cast<std::size_t>(d)] = colour;
  }
  return lr;
}

RouteTable merge(const RouteTable& a, const RouteTable& b) {
  RouteTable out = a;
  for (int c = 0; c < fk::kMaxColours; ++c) {
    if (b[c].rx < 0) continue;
    if (out[c].rx >= 0) throw std::logic_error("fabric route tables share a colour");
    out[c] = b[c];
  }
  return out;
}

}  // namespace wb::wafer::fabric
