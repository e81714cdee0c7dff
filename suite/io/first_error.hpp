#pragma once
// One verdict for all ranks: after a step that can fail on some ranks only (a write, an
// allocation), every rank learns whether any failed and why, so that all go on or all stop
// together instead of some waiting in a collective call the others never make.
#include <mpi.h>

#include <functional>
#include <string>

namespace wb::io {

// Collective: the message of the lowest rank whose `mine` is not empty, on every rank ("" when
// no rank's is). A rank with a message of its own waits at most `patience_s` seconds (when > 0)
// for the others to arrive, then calls `on_stuck`, which must not return (MPI_Abort).
std::string first_error(MPI_Comm comm, const std::string& mine, double patience_s = 0,
                        const std::function<void()>& on_stuck = {});

}  // namespace wb::io
