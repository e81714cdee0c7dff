#pragma once
// Version and source revision of this build (generated at build time by build_info.cmake).
namespace wb::io {
const char* waferbench_version();
const char* git_commit();
}  // namespace wb::io
