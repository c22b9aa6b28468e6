// Mechanical style and layering checks over the source tree (STYLE.md §5):
// - engine/ stays sans-IO: no sockets, files, threads, clocks, OS randomness or loggers;
// - no module includes another module's internal/ headers;
// - lines stay within 100 columns;
// - function bodies stay within 70 lines.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
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
      // Boost.Container is pure data structures (engine/json.h's flat object map); the rest of
      // Boost is where the I/O runtime lives.
      {std::regex(R"(#\s*include\s*[<"](boost/(?!container/)|asio/))"), "Asio/Boost (I/O runtime)"},
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
  EXPECT_TRUE(scan_engine_text("engine/x.cc", "#include <boost/container/flat_map.hpp>\n").empty());
  EXPECT_FALSE(scan_engine_text("engine/x.cc", "#include <boost/beast.hpp>\n").empty());
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

// Every folder of ours that holds C++: the modules, their tests and the benchmarks.
std::vector<std::string> formatted_roots() {
  std::vector<std::string> roots = modules;
  roots.push_back("tests");
  roots.push_back("bench");
  return roots;
}

TEST(Tidy, LinesFitInOneHundredColumns) {
  constexpr std::size_t columns_max = 100;
  std::vector<Finding> findings;
  for (const std::string& root : formatted_roots()) {
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

// Function bodies, found by a brace scanner that skips comments and string, character and raw
// string literals. A "{" opens a function body when it ends a statement at namespace or class
// scope that has a parameter list and is not an initialisation ("= ...{"); its length counts
// the lines from that "{" to its "}", both included. A constructor whose initialiser list
// uses braces is not seen (a missed check, never a false finding).
class FunctionScanner {
 public:
  struct Body {
    int first_line = 0;
    int last_line = 0;
  };

  std::vector<Body> scan(const std::string& text) {
    for (std::size_t index = 0; index < text.size(); index++) {
      const char c = text[index];
      if (c == '\n') line_++;
      if (skip_literal_or_comment(text, index)) continue;
      if (c == '{') {
        open();
      } else if (c == '}') {
        close();
      } else if (c == ';') {
        statement_.clear();
      } else {
        statement_.push_back(c);
      }
    }
    return bodies_;
  }

 private:
  enum class Kind : std::uint8_t { scope, function, other };
  struct Frame {
    Kind kind = Kind::other;
    int line = 0;
  };

  // Advances `index` over a comment or literal starting there; true when it did.
  bool skip_literal_or_comment(const std::string& text, std::size_t& index) {
    const std::string_view rest = std::string_view(text).substr(index);
    std::string_view end;
    if (rest.starts_with("//")) {
      end = "\n";
    } else if (rest.starts_with("/*")) {
      end = "*/";
    } else if (rest.starts_with("R\"")) {
      const std::size_t paren = rest.find('(');
      raw_end_ = ")" + std::string(rest.substr(2, paren - 2)) + "\"";
      end = raw_end_;
    } else if (rest[0] == '"' || (rest[0] == '\'' && !preceded_by_digit(text, index))) {
      return skip_quoted(text, index);
    } else {
      return false;
    }
    const std::size_t stop = text.find(end, index + 2);
    const std::size_t last = stop == std::string::npos ? text.size() : stop + end.size() - 1;
    for (std::size_t at = index; at < last; at++) line_ += text[at] == '\n' ? 1 : 0;
    index = end == "\n" ? last - 1 : last;  // a line comment leaves its newline to the caller
    return true;
  }
  static bool preceded_by_digit(const std::string& text, std::size_t index) {
    return index > 0 && std::isxdigit(static_cast<unsigned char>(text[index - 1])) != 0;
  }
  static bool skip_quoted(const std::string& text, std::size_t& index) {
    const char quote = text[index];
    for (index++; index < text.size() && text[index] != quote; index++) {
      if (text[index] == '\\') index++;
    }
    return true;
  }

  void open() {
    const std::string statement = trimmed(statement_);
    statement_.clear();
    static const std::regex scope(R"(^(namespace|extern)\b|^(template\s*<.*>\s*)?)"
                                  R"((class|struct|union|enum)\b)");
    const bool at_scope = frames_.empty() || frames_.back().kind == Kind::scope;
    Kind kind = Kind::other;
    if (std::regex_search(statement, scope)) {
      kind = Kind::scope;
    } else if (at_scope && statement.find(')') != std::string::npos &&
               statement.substr(0, statement.find('(')).find('=') == std::string::npos) {
      kind = Kind::function;
    }
    frames_.push_back({kind, line_});
  }
  void close() {
    statement_.clear();
    if (frames_.empty()) return;  // unbalanced text; the compiler reports it
    const Frame frame = frames_.back();
    frames_.pop_back();
    if (frame.kind == Kind::function) bodies_.push_back({frame.line, line_});
  }
  static std::string trimmed(const std::string& text) {
    const std::size_t first = text.find_first_not_of(" \t\n");
    return first == std::string::npos ? std::string() : text.substr(first);
  }

  int line_ = 1;
  std::string statement_;
  std::string raw_end_;
  std::vector<Frame> frames_;
  std::vector<Body> bodies_;
};

TEST(Tidy, FunctionScannerFindsBodiesAndSkipsLiterals) {
  const std::string text =
      "namespace a {\n"
      "int f(int x) {\n"
      "  const char* s = \"}\"; // }\n"
      "  auto r = R\"(})\";\n"
      "  return x > 0 ? '}' : 1'000;\n"
      "}\n"
      "struct S {\n"
      "  void g() const { if (true) { } }\n"
      "};\n"
      "const int table[] = {1, 2};\n"
      "}  // namespace a\n";
  const auto bodies = FunctionScanner().scan(text);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0].first_line, 2);
  EXPECT_EQ(bodies[0].last_line, 6);
  EXPECT_EQ(bodies[1].first_line, 8);
  EXPECT_EQ(bodies[1].last_line, 8);
}

TEST(Tidy, FunctionsFitInSeventyLines) {
  constexpr int function_lines_max = 70;
  std::vector<Finding> findings;
  for (const std::string& root : formatted_roots()) {
    for (const fs::path& path : source_files(source_dir / root)) {
      for (const auto& body : FunctionScanner().scan(read_text(path))) {
        const int lines = body.last_line - body.first_line + 1;
        if (lines > function_lines_max) {
          findings.push_back({fs::relative(path, source_dir).string(), body.first_line,
                              "function body of " + std::to_string(lines) + " lines"});
        }
      }
    }
  }
  EXPECT_TRUE(findings.empty()) << describe(findings);
}

}  // namespace
