// Collective result writing: every rank contributes a different number of rows (rank 0 none),
// strings of different lengths; rank 0 reads the file back and checks order and content.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "io/error.hpp"
#include "io/hdf5_file.hpp"

namespace {

std::string g_out = "collective";
int g_rank = 0, g_ranks = 1;

// Rank r contributes r rows; row k of rank r holds value 1000 r + k.
wb::io::Table rows_of_rank(int r) {
  wb::io::Table t;
  auto& v = t.add("value", wb::io::ColumnType::f64, "s", "a number");
  auto& n = t.add("rank", wb::io::ColumnType::i64, "1");
  auto& s = t.add("label", wb::io::ColumnType::str, "");
  for (int k = 0; k < r; ++k) {
    v.f64.push_back(1000.0 * r + k);
    n.i64.push_back(r);
    s.str.push_back(std::string(static_cast<std::size_t>(r + k), 'x'));
  }
  return t;
}

}  // namespace

TEST(Hdf5Collective, RowsLandInRankOrder) {
  const std::string path = g_out + ".h5";
  {
    wb::io::ResultFileWriter w(MPI_COMM_WORLD, path, true);
    w.attribute("answer", std::int64_t{42});
    w.attribute("text", std::string("hello"));
    w.write_table("/group", rows_of_rank(g_rank));
    w.write_table("/empty", wb::io::Table{});
    w.commit();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (g_rank == 0) {
    const auto t = wb::io::read_table(path, "/group");
    std::size_t expected = 0;
    for (int r = 0; r < g_ranks; ++r) expected += static_cast<std::size_t>(r);
    ASSERT_EQ(t.rows(), expected);
    std::size_t i = 0;
    for (int r = 0; r < g_ranks; ++r) {
      for (int k = 0; k < r; ++k, ++i) {
        EXPECT_EQ(t.at("value").f64[i], 1000.0 * r + k);
        EXPECT_EQ(t.at("rank").i64[i], r);
        EXPECT_EQ(t.at("label").str[i], std::string(static_cast<std::size_t>(r + k), 'x'));
      }
    }
    EXPECT_EQ(t.at("value").units, "s");
    EXPECT_EQ(t.at("value").description, "a number");
    const auto attrs = wb::io::read_attributes(path);
    EXPECT_EQ(std::get<std::int64_t>(attrs.at("answer")), 42);
    EXPECT_EQ(std::get<std::string>(attrs.at("text")), "hello");
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  }
}

TEST(Hdf5Collective, AnUncommittedFileLeavesNothingBehind) {
  const std::string path = g_out + "_abandoned.h5";
  {
    wb::io::ResultFileWriter w(MPI_COMM_WORLD, path, true);
    w.write_table("/group", rows_of_rank(g_rank));
    // destroyed without commit(), as when an exception unwinds
  }
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(Hdf5Collective, AnExistingFileIsKeptUnlessOverwriting) {
  const std::string path = g_out + "_keep.h5";
  {
    wb::io::ResultFileWriter w(MPI_COMM_WORLD, path, true);
    w.attribute("version", std::int64_t{1});
    w.commit();
  }
  EXPECT_THROW(wb::io::ResultFileWriter(MPI_COMM_WORLD, path, false), wb::io::IoError);
  MPI_Barrier(MPI_COMM_WORLD);
  if (g_rank == 0) EXPECT_EQ(std::get<std::int64_t>(wb::io::read_attributes(path).at("version")), 1);
}

TEST(Hdf5Collective, AMissingDirectoryIsAnIoErrorOnEveryRank) {
  EXPECT_THROW(wb::io::ResultFileWriter(MPI_COMM_WORLD, "/nonexistent-dir/x.h5", true), wb::io::IoError);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_ranks);
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--out=", 0) == 0) g_out = a.substr(6);
  }
  if (g_rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS();
  // The job fails if any rank failed.
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}
