// Data-driven transcript files, in etcd-raft's format:
//
//   # comment
//   command arg key=value
//   ----
//   expected output, one line per event
//   (a blank line ends the block)
//
// run_transcript() feeds each command to a handler and compares its output with the expected
// text. With MESH_REWRITE=1 in the environment it rewrites the file with the actual output
// instead, so a behaviour change is reviewed as a diff.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace mesh::test {

struct TranscriptCommand {
  std::string name;
  std::vector<std::string> arguments;  // positional and key=value, in order
  int line = 0;

  // The value of `key=value`, or `fallback`.
  std::string option(const std::string& key, const std::string& fallback = "") const {
    for (const std::string& argument : arguments) {
      if (argument.rfind(key + "=", 0) == 0) return argument.substr(key.size() + 1);
    }
    return fallback;
  }
  std::vector<std::string> positional() const {
    std::vector<std::string> out;
    for (const std::string& argument : arguments) {
      if (argument.find('=') == std::string::npos) out.push_back(argument);
    }
    return out;
  }
};

struct TranscriptBlock {
  std::vector<std::string> comments;
  std::string command_line;
  TranscriptCommand command;
  std::string expected;
};

inline TranscriptCommand parse_command(const std::string& line, int number) {
  TranscriptCommand command;
  command.line = number;
  std::istringstream words(line);
  words >> command.name;
  std::string word;
  while (words >> word) command.arguments.push_back(word);
  return command;
}

inline std::vector<TranscriptBlock> parse_transcript(const std::string& text) {
  std::vector<TranscriptBlock> blocks;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  TranscriptBlock block;
  enum { between, output } state = between;
  while (std::getline(lines, line)) {
    number++;
    if (state == between) {
      if (line.empty()) continue;
      if (line[0] == '#') {
        block.comments.push_back(line);
      } else if (line == "----") {
        state = output;
      } else {
        block.command_line = line;
        block.command = parse_command(line, number);
      }
      continue;
    }
    if (line.empty()) {
      blocks.push_back(block);
      block = TranscriptBlock{};
      state = between;
    } else {
      block.expected += line + "\n";
    }
  }
  if (state == output) blocks.push_back(block);
  return blocks;
}

using TranscriptHandler = std::function<std::string(const TranscriptCommand&)>;

inline void run_transcript(const std::string& path, const TranscriptHandler& handler) {
  std::ifstream input(path);
  ASSERT_TRUE(input) << "cannot read " << path;
  std::stringstream buffer;
  buffer << input.rdbuf();
  const std::vector<TranscriptBlock> blocks = parse_transcript(buffer.str());
  const bool rewrite = std::getenv("MESH_REWRITE") != nullptr;
  std::string rewritten;
  for (const TranscriptBlock& block : blocks) {
    std::string actual = handler(block.command);
    if (actual.empty()) actual = "ok\n";
    if (!actual.empty() && actual.back() != '\n') actual += "\n";
    if (rewrite) {
      for (const std::string& comment : block.comments) rewritten += comment + "\n";
      rewritten += block.command_line + "\n----\n" + actual + "\n";
    } else {
      EXPECT_EQ(block.expected, actual)
          << path << ":" << block.command.line << ": " << block.command_line
          << "\n(rerun with MESH_REWRITE=1 to accept the new output, then review the diff)";
    }
  }
  if (rewrite) std::ofstream(path) << rewritten;
}

}  // namespace mesh::test
