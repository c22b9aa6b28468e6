#include "kube_sim/field_path.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace mesh::kube_sim {
namespace {

using Tokens = std::vector<std::string>;

FieldPath path_of(const Tokens& tokens) {
  FieldPath path;
  for (const std::string& token : tokens) path.push_back(token);
  return path;
}

Tokens tokens_of(const FieldPath& path) {
  Tokens tokens;
  for (const std::string_view token : path) tokens.emplace_back(token);
  return tokens;
}

// Tokens over the bytes that matter to the encoding: the terminator, the escape, the byte after
// it, and ordinary ones; short, so that prefixes and equal tokens are common.
rc::Gen<Tokens> gen_tokens() {
  const auto byte = rc::gen::element<char>('\0', '\1', '\2', '.', 'a', 'b', '\xff');
  const auto token = rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 4), [byte](std::size_t n) {
    return rc::gen::container<std::string>(n, byte);
  });
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 4), [token](std::size_t n) {
    return rc::gen::container<Tokens>(n, token);
  });
}

RC_GTEST_PROP(FieldPathProperty, OrdersAndComparesAsItsTokenList, ()) {
  const Tokens left = *gen_tokens().as("left");
  const Tokens right = *rc::gen::oneOf(gen_tokens(), rc::gen::just(left)).as("right");
  RC_ASSERT((path_of(left) < path_of(right)) == (left < right));
  RC_ASSERT((path_of(left) == path_of(right)) == (left == right));
}

RC_GTEST_PROP(FieldPathProperty, GivesBackItsTokensAndPrefixes, ()) {
  const Tokens tokens = *gen_tokens().as("tokens");
  const FieldPath path = path_of(tokens);
  RC_ASSERT(tokens_of(path) == tokens);
  RC_ASSERT(path.size() == tokens.size());
  RC_ASSERT(path.empty() == tokens.empty());
  for (std::size_t count = 0; count <= tokens.size(); count++) {
    const Tokens head(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(count));
    RC_ASSERT(path.prefix(count) == path_of(head));
    RC_ASSERT(path.starts_with(path_of(head)));
    if (count < tokens.size()) RC_ASSERT(path.at(count) == tokens[count]);
  }
  if (tokens.empty()) return;
  RC_ASSERT(path.front() == tokens.front());
  RC_ASSERT(path.back() == tokens.back());
  FieldPath popped = path;
  popped.pop_back();
  RC_ASSERT(popped == path_of(Tokens(tokens.begin(), tokens.end() - 1)));
}

TEST(FieldPath, ATokenThatExtendsAnotherIsNotBelowIt) {
  // "f:a" then "f:b" lies below "f:a"; "f:ab" does not, though its text starts alike.
  const FieldPath parent{"f:a"};
  EXPECT_TRUE((FieldPath{"f:a", "f:b"}).starts_with(parent));
  EXPECT_FALSE((FieldPath{"f:ab"}).starts_with(parent));
  EXPECT_LT(parent, (FieldPath{"f:a", "f:b"}));
  EXPECT_LT((FieldPath{"f:a", "f:b"}), (FieldPath{"f:ab"}));
}

TEST(FieldPath, ACopiedIteratorKeepsItsDecodedToken) {
  FieldPath path;
  path.push_back(std::string("f:x\0y", 5));
  path.push_back("f:z");
  FieldPath::Iterator copy;
  {
    const FieldPath::Iterator first = path.begin();
    copy = first;
  }
  EXPECT_EQ(*copy, std::string_view("f:x\0y", 5));
  ++copy;
  EXPECT_EQ(*copy, "f:z");
  EXPECT_EQ(++copy, path.end());
}

TEST(FieldPath, PushBackWithATagMakesOneToken) {
  FieldPath tagged;
  tagged.push_back("f:", "name");
  EXPECT_EQ(tagged, FieldPath{"f:name"});
  EXPECT_EQ(tagged.size(), 1U);
}

}  // namespace
}  // namespace mesh::kube_sim
