#include "engine/operation.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/support/keys.h"

namespace mesh::engine {
namespace {

Operation make(const Identity& identity, std::uint64_t seq, const std::string& payload,
               std::optional<Digest> backlink = std::nullopt) {
  if (seq > 0 && !backlink) backlink = blake2b_256(as_bytes("previous"));
  auto op = Operation::create(identity,
                              {.log = {identity.public_key(), 7},
                               .seq = seq,
                               .kind = OperationKind::data,
                               .key = blake2b_256(as_bytes("key")),
                               .backlink = backlink,
                               .timestamp_ms = 1234},
                              Bytes(payload.begin(), payload.end()));
  EXPECT_TRUE(op.ok());
  return std::move(op).value();
}

Bytes encode(const Operation& operation) {
  Bytes out;
  operation.encode(out);
  return out;
}

TEST(Operation, EncodeDecodeRoundTripsAndVerifies) {
  const Identity author = test::test_identity(1);
  const Operation original = make(author, 3, "hello");
  const Bytes bytes = encode(original);
  EXPECT_EQ(bytes.size(), original.encoded_size());
  const auto decoded = Operation::decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->hash(), original.hash());
  EXPECT_EQ(decoded->seq(), 3u);
  EXPECT_EQ(decoded->log(), original.log());
  EXPECT_EQ(decoded->payload(), original.payload());
  EXPECT_EQ(decoded->timestamp_ms(), 1234);
  EXPECT_TRUE(decoded->verify_signature());
}

// Decoding leaves the payload check to the store (after its duplicate checks); the signature
// covers the payload's hash, not the bytes, so only payload_matches tells the damage.
TEST(Operation, TamperedPayloadDecodesButDoesNotMatchItsHash) {
  const Operation original = make(test::test_identity(1), 0, "hello");
  Bytes bytes = encode(original);
  bytes.back() ^= 1;
  const auto decoded = Operation::decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_FALSE(decoded->payload_matches());
  EXPECT_TRUE(decoded->verify_signature());
  EXPECT_EQ(decoded->hash(), original.hash());
  EXPECT_TRUE(original.payload_matches());
}

TEST(Operation, TamperedHeaderFailsTheSignature) {
  Bytes bytes = encode(make(test::test_identity(1), 0, "hello"));
  bytes[1 + 1 + 32 + 8] ^= 1;  // the seq field
  const auto decoded = Operation::decode(bytes);
  // seq 1 without a backlink is structurally invalid; flip a timestamp bit instead to reach
  // the signature check.
  EXPECT_FALSE(decoded.ok());
  Bytes timestamp_flip = encode(make(test::test_identity(1), 0, "hello"));
  timestamp_flip[1 + 1 + 32 + 8 + 8 + 32 + 1 + 32 + 4] ^= 1;
  const auto parsed = Operation::decode(timestamp_flip);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->verify_signature());
}

TEST(Operation, ForgedAuthorFailsTheSignature) {
  // Signed by key 2 but claiming key 1 as author: re-encode with the author field swapped.
  const Operation genuine = make(test::test_identity(2), 0, "x");
  Bytes bytes = encode(genuine);
  const PublicKey victim = test::test_identity(1).public_key();
  std::copy(victim.bytes.begin(), victim.bytes.end(), bytes.begin() + 2);
  const auto decoded = Operation::decode(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->verify_signature());
}

TEST(Operation, TruncatedAndOversizeInputsAreErrors) {
  const Bytes bytes = encode(make(test::test_identity(1), 1, "payload"));
  for (std::size_t size = 0; size < bytes.size(); size++) {
    const auto decoded = Operation::decode(ByteView(bytes.data(), size));
    EXPECT_FALSE(decoded.ok()) << "prefix of " << size << " bytes decoded";
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(Operation::decode(longer).ok());
}

TEST(Operation, UnknownVersionIsReportedAsSuch) {
  Bytes bytes = encode(make(test::test_identity(1), 0, "x"));
  bytes[0] = 9;
  EXPECT_EQ(Operation::decode(bytes).error().code, OperationError::unsupported_version);
}

TEST(Operation, OversizePayloadIsRefusedAtCreation) {
  const Identity author = test::test_identity(1);
  const auto op =
      Operation::create(author, {.log = {author.public_key(), 1}}, Bytes(4 * 1024 * 1024 + 1, 0));
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.error().code, OperationError::payload_too_large);
}

TEST(Operation, SnapshotPayloadRoundTripsAndRejectsDisorder) {
  const std::vector<SnapshotEntry> entries = {
      {1, blake2b_256(as_bytes("a")), blake2b_256(as_bytes("h1"))},
      {4, blake2b_256(as_bytes("b")), blake2b_256(as_bytes("h4"))}};
  const Bytes payload = encode_snapshot_payload(entries);
  const auto decoded = decode_snapshot_payload(payload, 5);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), entries);
  EXPECT_FALSE(decode_snapshot_payload(payload, 4).ok());  // an entry at the snapshot's seq
  Bytes forged_count = payload;
  forged_count[3] = 0x7f;  // claims ~2 billion entries
  EXPECT_FALSE(decode_snapshot_payload(forged_count, 5).ok());
}

RC_GTEST_PROP(Operation, DecodeOfArbitraryBytesNeverCrashes,
              (const std::vector<std::uint8_t>& bytes)) {
  const auto decoded = Operation::decode(bytes);
  if (decoded.ok()) RC_ASSERT(decoded->encoded_size() == bytes.size());
}

RC_GTEST_PROP(Operation, EveryFieldRoundTrips,
              (std::uint64_t incarnation, std::uint64_t seq, std::int64_t timestamp_ms,
               const std::vector<std::uint8_t>& payload, bool snapshot)) {
  const Identity author = test::test_identity(3);
  const auto created = Operation::create(
      author,
      {.log = {author.public_key(), incarnation},
       .seq = seq,
       .kind = snapshot ? OperationKind::snapshot : OperationKind::data,
       .key = blake2b_256(payload),
       .backlink = seq > 0 ? std::optional(blake2b_256(as_bytes("b"))) : std::nullopt,
       .timestamp_ms = timestamp_ms},
      payload);
  RC_ASSERT(created.ok());
  Bytes bytes;
  created->encode(bytes);
  const auto decoded = Operation::decode(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->hash() == created->hash());
  RC_ASSERT(decoded->log() == created->log());
  RC_ASSERT(decoded->seq() == seq);
  RC_ASSERT(decoded->timestamp_ms() == timestamp_ms);
  RC_ASSERT(decoded->kind() == created->kind());
  RC_ASSERT(decoded->payload() == payload);
  RC_ASSERT(decoded->verify_signature());
}

}  // namespace
}  // namespace mesh::engine
