#pragma once
// The fast path in work independent of the micro-batch count m.
//
// With identical micro-batches a 1F1B or interleaved schedule is periodic once the pipeline has
// filled: every stage repeats one block of tasks (one forward and one backward unit; pp
// micro-batches' units when interleaved). The step is a max-plus system (each start is the
// latest end of its predecessors), so once R consecutive blocks' times repeat shifted by one
// period lambda, where R is how many blocks back any task reaches, every later block repeats
// them too (Baccelli, Cohen, Olsder, Quadrat, "Synchronization and Linearity", 1992, Ch. 3:
// periodic regime of max-plus linear systems). The step of m micro-batches is then the step of
// m_r < m micro-batches with D = (m - m_r) / P more blocks: warm-up and blocks as simulated,
// the cool-down and the optimizer shifted by D x lambda, and the critical path's repeated part
// counted once per repetition.
//
// What this rests on is checked on the programs built for m_r, never assumed: consecutive
// blocks identical up to the shift (tasks, dependencies, pipeline messages), no message
// crossing a block boundary backwards, the times periodic over R + 1 blocks, and every task
// after the blocks bound by a predecessor that moves with them. Where a check fails (or the step
// has too few micro-batches to repeat, two simulated steps, or a timeline is asked for) the
// caller walks all m micro-batches, and `why` says which check it was.
#include <string>

#include "gpu/cluster_sim.hpp"

namespace wb::gpu {

// The fast path's result for `st` (bit-identical to simulate_fast() on the full programs), or
// false with the reason the steady state cannot be used.
bool simulate_steady(const StepSetup& st, bool stragglers, SimRun& out, std::string* why = nullptr);

}  // namespace wb::gpu
