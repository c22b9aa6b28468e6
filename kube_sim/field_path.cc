#include "kube_sim/field_path.h"

#include "engine/assert.h"

namespace mesh::kube_sim {
namespace {

constexpr char terminator = '\0';
constexpr char escape = '\1';

// The encoded token at the front of `encoded` (without its terminator).
std::string_view first_token(std::string_view encoded) {
  const std::size_t end = encoded.find(terminator);
  MESH_ASSERT(end != std::string_view::npos);  // every token is terminated
  return encoded.substr(0, end);
}

void decode_into(std::string_view encoded_token, std::string& out) {
  out.clear();
  for (std::size_t index = 0; index < encoded_token.size(); index++) {
    const char byte = encoded_token[index];
    if (byte != escape) {
      out += byte;
      continue;
    }
    MESH_ASSERT(index + 1 < encoded_token.size());
    out += encoded_token[++index] == escape ? '\0' : '\1';
  }
}

std::string decoded(std::string_view encoded_token) {
  std::string out;
  decode_into(encoded_token, out);
  return out;
}

}  // namespace

void FieldPath::Iterator::read(std::string_view encoded) {
  if (encoded.empty()) {
    at_end_ = true;
    token_ = {};
    rest_ = {};
    return;
  }
  at_end_ = false;
  const std::string_view token = first_token(encoded);
  rest_ = encoded.substr(token.size() + 1);
  if (token.find(escape) == std::string_view::npos) {
    token_ = token;
    return;
  }
  decode_into(token, decoded_);
  token_ = decoded_;
}

FieldPath::Iterator& FieldPath::Iterator::operator=(const Iterator& other) {
  if (this == &other) return *this;
  rest_ = other.rest_;
  at_end_ = other.at_end_;
  decoded_ = other.decoded_;
  const bool own = !other.decoded_.empty() && other.token_.data() == other.decoded_.data();
  token_ = own ? std::string_view(decoded_) : other.token_;
  return *this;
}

FieldPath::FieldPath(std::initializer_list<std::string_view> tokens) {
  for (const std::string_view token : tokens) push_back(token);
}

void FieldPath::append_escaped(std::string_view raw) {
  for (const char byte : raw) {
    if (byte == terminator || byte == escape) {
      encoded_ += escape;
      encoded_ += byte == terminator ? escape : '\2';
    } else {
      encoded_ += byte;
    }
  }
}

void FieldPath::push_back(std::string_view token) {
  push_back({}, token);
}

void FieldPath::push_back(std::string_view tag, std::string_view rest) {
  append_escaped(tag);
  append_escaped(rest);
  encoded_ += terminator;
  size_++;
}

std::size_t FieldPath::last_token_start() const {
  MESH_ASSERT(size_ > 0);
  MESH_ASSERT(encoded_.back() == terminator);
  if (encoded_.size() < 2) return 0;
  // The terminator before the last one ends the token before; escapes hold no terminator.
  const std::size_t previous = encoded_.find_last_of(terminator, encoded_.size() - 2);
  return previous == std::string::npos ? 0 : previous + 1;
}

void FieldPath::pop_back() {
  encoded_.resize(last_token_start());
  size_--;
}

std::string FieldPath::back() const {
  const std::size_t start = last_token_start();
  return decoded(std::string_view(encoded_).substr(start, encoded_.size() - 1 - start));
}

std::string FieldPath::front() const {
  MESH_ASSERT(size_ > 0);
  return decoded(first_token(encoded_));
}

std::string FieldPath::at(std::size_t index) const {
  MESH_ASSERT(index < size_);
  auto it = begin();
  for (std::size_t skipped = 0; skipped < index; skipped++) ++it;
  return std::string(*it);
}

FieldPath FieldPath::prefix(std::size_t count) const {
  MESH_ASSERT(count <= size_);
  FieldPath out;
  std::size_t end = 0;
  for (std::size_t token = 0; token < count; token++) end = encoded_.find(terminator, end) + 1;
  out.encoded_ = encoded_.substr(0, end);
  out.size_ = static_cast<std::uint32_t>(count);
  return out;
}

}  // namespace mesh::kube_sim
