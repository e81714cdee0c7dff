#pragma once
// The main of the MPI GoogleTest programs (wb_mpi_tests): MPI started and finished around the
// tests, output from rank 0 only, the job failing when any rank fails, and --out=PREFIX for the
// files a test writes.
#include <string>

extern std::string g_out;  // prefix of the files the tests write
extern int g_rank, g_ranks;
