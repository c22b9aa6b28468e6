// A field path of server-side apply: a list of tokens ("f:spec", "k:{...}", "v:...", "."),
// stored as one string.
//
// Each token is followed by a terminator byte 0x00; the bytes 0x00 and 0x01 inside a token are
// escaped as 0x01 0x01 and 0x01 0x02. Comparing two encodings bytewise then orders paths
// exactly as comparing their token lists lexicographically (a token that is a prefix of another
// ends in the smallest byte), and a path's encoding starts with its parent's. So sets of paths
// iterate in the order a std::vector<std::string> per path gave, with one allocation per path
// instead of one per token (field sets are collected for every write the API server takes).
// Tokens are read back as string_views, decoded only when they held an escaped byte.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>

namespace mesh::kube_sim {

class FieldPath {
 public:
  // Walks the tokens in order. A token is a view into the path, or into the iterator itself
  // when it had to be decoded: valid until the iterator moves on.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    Iterator() = default;
    Iterator(const Iterator& other) { *this = other; }
    Iterator& operator=(const Iterator& other);
    std::string_view operator*() const { return token_; }
    Iterator& operator++() {
      read(rest_);
      return *this;
    }
    bool operator==(const Iterator& other) const { return at_end_ == other.at_end_; }

   private:
    friend class FieldPath;
    explicit Iterator(std::string_view encoded) { read(encoded); }
    void read(std::string_view encoded);

    std::string_view rest_;   // encoded tokens after the current one
    std::string_view token_;  // the current token, decoded
    std::string decoded_;     // backing of token_ when the token held escaped bytes
    bool at_end_ = true;
  };

  FieldPath() = default;
  FieldPath(std::initializer_list<std::string_view> tokens);

  void push_back(std::string_view token);
  // Appends "<tag><rest>" as one token, e.g. push_back("f:", name).
  void push_back(std::string_view tag, std::string_view rest);
  void pop_back();  // requires !empty()

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // Bytes of the encoding: at least the tokens' total size (terminators and escapes add).
  std::size_t encoded_size() const { return encoded_.size(); }
  std::string back() const;   // requires !empty()
  std::string front() const;  // requires !empty()
  std::string at(std::size_t index) const;  // requires index < size()
  // The path of the first `count` tokens (count <= size()).
  FieldPath prefix(std::size_t count) const;
  // Whether `ancestor`'s tokens are this path's first tokens.
  bool starts_with(const FieldPath& ancestor) const {
    return std::string_view(encoded_).starts_with(ancestor.encoded_);
  }

  Iterator begin() const { return Iterator(encoded_); }
  Iterator end() const { return Iterator(); }

  // Equal encodings mean equal token counts, so the encoding alone decides.
  friend bool operator==(const FieldPath& left, const FieldPath& right) {
    return left.encoded_ == right.encoded_;
  }
  friend std::strong_ordering operator<=>(const FieldPath& left, const FieldPath& right) {
    return left.encoded_.compare(right.encoded_) <=> 0;
  }

 private:
  void append_escaped(std::string_view raw);
  std::size_t last_token_start() const;  // requires !empty()

  std::string encoded_;
  std::uint32_t size_ = 0;  // tokens: the number of terminators in encoded_
};

}  // namespace mesh::kube_sim
