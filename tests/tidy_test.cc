// Mechanical style and layering checks over the source tree (STYLE.md §5):
// - engine/ stays sans-IO: no sockets, files, threads, clocks, OS randomness or loggers;
// - no module includes another module's internal/ headers;
// - lines stay within 100 columns.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path source_dir = MESH_SOURCE_DIR;

struct Finding {
  std::string file;
  int line = 0;
  std::string what;
};

struct BannedPattern {
  std::regex pattern;
  std::string reason;
};

const std::vector<BannedPattern>& engine_banned_patterns() {
  static const std::vector<BannedPattern> patterns = {
      {std::regex(R"(#\s*include\s*[<"](boost|asio)/)"), "Asio/Boost (I/O runtime)"},
      {std::regex(R"(#\s*include\s*[<"]asio\.hpp)"), "Asio (I/O runtime)"},
      {std::regex(R"(#\s*include\s*<(sys/socket|netinet/[a-z_]+|arpa/inet|netdb|poll)"
                  R"(|sys/epoll)\.h>)"),
       "socket header"},
      {std::regex(R"(#\s*include\s*<(unistd|fcntl|sys/stat|dirent)\.h>)"), "POSIX file API"},
      {std::regex(R"(#\s*include\s*<(fstream|filesystem|iostream|cstdio)>)"), "file or stream I/O"},
      {std::regex(R"(#\s*include\s*<(thread|mutex|shared_mutex|condition_variable|future)"
                  R"(|atomic|semaphore|stop_token)>)"),
       "threads"},
      {std::regex(R"(#\s*include\s*<(random|ctime)>)"), "<random>/<ctime>"},
      {std::regex(R"(#\s*include\s*[<"](spdlog|fmt|glog|yaml-cpp)/)"), "logger or config library"},
      {std::regex(R"(\b(system_clock|steady_clock|high_resolution_clock|file_clock)"
                  R"(|utc_clock)\b)"),
       "a clock"},
      {std::regex(R"(::now\s*\()"), "reading a clock"},
      {std::regex(R"(\brandom_device\b|\bstd::rand\b|\bsrand\s*\(|\brandombytes)"),
       "OS randomness"},
      {std::regex(R"(\b(getenv|fopen|popen|system)\s*\()"), "environment or process I/O"},
      {std::regex(R"(\b(std::cout|std::cerr|printf)\b)"), "printing"},
  };
  return patterns;
}

bool is_source_file(const fs::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".h" || extension == ".cc" || extension == ".in";
}

std::vector<fs::path> source_files(const fs::path& directory) {
  std::vector<fs::path> files;
  if (!fs::exists(directory)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file() && is_source_file(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Strips // comments so that documentation may name what the code must not do.
std::string strip_line_comment(const std::string& line) {
  const std::size_t comment = line.find("//");
  return comment == std::string::npos ? line : line.substr(0, comment);
}

std::vector<Finding> scan_engine_text(const std::string& file, const std::string& text) {
  std::vector<Finding> findings;
  std::istringstream stream(text);
  std::string line;
  int number = 0;
  // assert.cc is the one place that may write to stderr: it reports a failed invariant.
  const bool is_assert_impl = file.ends_with("engine/assert.cc");
  while (std::getline(stream, line)) {
    number++;
    const std::string code = strip_line_comment(line);
    for (const BannedPattern& banned : engine_banned_patterns()) {
      if (is_assert_impl && banned.reason == "file or stream I/O") continue;
      if (std::regex_search(code, banned.pattern)) {
        findings.push_back({file, number, banned.reason + ": " + line});
      }
    }
  }
  return findings;
}

std::string read_text(const fs::path& path) {
  std::ifstream stream(path);
  std::stringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

std::string describe(const std::vector<Finding>& findings) {
  std::string text;
  for (const Finding& finding : findings) {
    text += finding.file + ":" + std::to_string(finding.line) + ": " + finding.what + "\n";
  }
  return text;
}

const std::vector<std::string> modules = {"engine",    "io_sim",    "io_real", "kube_sim",
                                          "kube_real", "simulator", "config"};

TEST(Tidy, EngineHasNoIoThreadsClocksOrRandomDevices) {
  std::vector<Finding> findings;
  const auto files = source_files(source_dir / "engine");
  ASSERT_FALSE(files.empty()) << "no engine sources found under " << source_dir;
  for (const fs::path& path : files) {
    const auto found = scan_engine_text(fs::relative(path, source_dir).string(), read_text(path));
    findings.insert(findings.end(), found.begin(), found.end());
  }
  EXPECT_TRUE(findings.empty()) << describe(findings);
}

TEST(Tidy, EngineScannerCatchesEachBannedFamily) {
  // The check above is only worth something if the scanner really flags these.
  const std::vector<std::string> offenders = {
      "#include <boost/asio.hpp>",
      "#include <sys/socket.h>",
      "#include <fstream>",
      "#include <thread>",
      "#include <random>",
      "#include <spdlog/spdlog.h>",
      "auto t = std::chrono::steady_clock::now();",
      "std::random_device device;",
      "const char* home = getenv(\"HOME\");",
      "#include <mutex>",
  };
  for (const std::string& offender : offenders) {
    EXPECT_FALSE(scan_engine_text("engine/x.cc", offender + "\n").empty()) << offender;
  }
  EXPECT_TRUE(scan_engine_text("engine/x.cc", "// we never call steady_clock::now()\n").empty());
  EXPECT_TRUE(scan_engine_text("engine/x.cc", "#include <vector>\n").empty());
}

TEST(Tidy, NoModuleIncludesAnotherModulesInternalHeaders) {
  const std::regex internal_include(R"(#\s*include\s*"([a-z_]+)/internal/)");
  std::vector<Finding> findings;
  for (const std::string& module : modules) {
    for (const fs::path& path : source_files(source_dir / module)) {
      std::istringstream stream(read_text(path));
      std::string line;
      int number = 0;
      while (std::getline(stream, line)) {
        number++;
        std::smatch match;
        if (std::regex_search(line, match, internal_include) && match[1] != module) {
          findings.push_back({fs::relative(path, source_dir).string(), number, line});
        }
      }
    }
  }
  EXPECT_TRUE(findings.empty()) << describe(findings);
}

TEST(Tidy, LinesFitInOneHundredColumns) {
  constexpr std::size_t columns_max = 100;
  std::vector<Finding> findings;
  std::vector<std::string> roots = modules;
  roots.push_back("tests");
  roots.push_back("bench");
  for (const std::string& root : roots) {
    for (const fs::path& path : source_files(source_dir / root)) {
      std::istringstream stream(read_text(path));
      std::string line;
      int number = 0;
      while (std::getline(stream, line)) {
        number++;
        if (line.size() > columns_max) {
          findings.push_back({fs::relative(path, source_dir).string(), number,
                              std::to_string(line.size()) + " columns"});
        }
      }
    }
  }
  EXPECT_TRUE(findings.empty()) << describe(findings);
}

}  // namespace
