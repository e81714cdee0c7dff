// Collective result writing: every rank contributes a different number of rows (rank 0 none),
// strings of different lengths; rank 0 reads the file back and checks order and content.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "io/error.hpp"
#include "io/hdf5_file.hpp"
#include "mpi_test_main.hpp"

namespace {

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

// Every dataset is chunked and carries the Fletcher32 checksum filter, empty ones too.
TEST(Hdf5Collective, EveryDatasetIsChunkedWithAChecksum) {
  const std::string path = g_out + "_checksum.h5";
  {
    wb::io::ResultFileWriter w(MPI_COMM_WORLD, path, true);
    w.write_table("/group", rows_of_rank(g_rank));
    w.write_table("/empty", rows_of_rank(0));
    w.commit();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (g_rank != 0) return;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const char* name : {"/group/value", "/group/rank", "/group/label", "/empty/value", "/empty/label"}) {
    const hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    ASSERT_GE(d, 0) << name;
    const hid_t dcpl = H5Dget_create_plist(d);
    EXPECT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED) << name;
    bool fletcher = false;
    for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
      unsigned flags = 0;
      std::size_t n = 0;
      fletcher = fletcher || H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, nullptr, 0, nullptr, nullptr) ==
                                 H5Z_FILTER_FLETCHER32;
    }
    EXPECT_TRUE(fletcher) << name;
    H5Pclose(dcpl);
    H5Dclose(d);
  }
  H5Fclose(f);
}

// Bytes changed in a written chunk are found on reading, naming the file and the dataset.
TEST(Hdf5Collective, ADamagedChunkIsNamedOnReading) {
  const std::string path = g_out + "_damaged.h5";
  {
    wb::io::ResultFileWriter w(MPI_COMM_WORLD, path, true);
    wb::io::Table t;
    auto& v = t.add("value", wb::io::ColumnType::f64, "s");
    for (int k = 0; k < 100; ++k) v.f64.push_back(g_rank * 100.0 + k);
    w.write_table("/group", t);
    w.commit();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (g_rank != 0) return;
  EXPECT_NO_THROW(wb::io::verify_datasets(path));
  haddr_t address = 0;
  hsize_t size = 0;
  {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t d = H5Dopen2(f, "/group/value", H5P_DEFAULT);
    const hid_t space = H5Dget_space(d);
    hsize_t offset[1];
    unsigned mask = 0;
    ASSERT_GE(H5Dget_chunk_info(d, space, 0, offset, &mask, &address, &size), 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
  }
  ASSERT_GT(size, 16u);
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(address + 8));
    const char garbage[8] = {'\x7f', '\x7f', '\x7f', '\x7f', '\x7f', '\x7f', '\x7f', '\x7f'};
    io.write(garbage, sizeof garbage);
  }
  const std::string expected = path + ": dataset /group/value is damaged: its checksum does not match";
  try {
    wb::io::read_table(path, "/group");
    ADD_FAILURE() << "read a damaged dataset without an error";
  } catch (const wb::io::IoError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(expected, 0), 0u) << e.what();
  }
  try {
    wb::io::verify_datasets(path);
    ADD_FAILURE() << "verified a damaged dataset";
  } catch (const wb::io::IoError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(expected, 0), 0u) << e.what();
  }
}

TEST(Hdf5Collective, WhatIsNotAResultFileIsNamed) {
  const auto message = [](const std::string& path) {
    try {
      wb::io::read_attributes(path);
    } catch (const wb::io::IoError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string text = g_out + "_text.h5";
  if (g_rank == 0) std::ofstream(text) << "not HDF5\n";
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_EQ(message(text), text + ": not an HDF5 file, so not a waferbench result file");
  EXPECT_EQ(message("/"), "/: is a directory, not a result file");
  EXPECT_EQ(message(g_out + "_missing.h5"), g_out + "_missing.h5: no such file");
  // A directory given as the output: refused before anything is written.
  try {
    wb::io::ResultFileWriter w(MPI_COMM_WORLD, std::filesystem::temp_directory_path().string(), true);
    ADD_FAILURE() << "a directory was taken as the output";
  } catch (const wb::io::IoError& e) {
    EXPECT_NE(std::string(e.what()).find(": is a directory; -o names the result file"), std::string::npos) << e.what();
  }
}
