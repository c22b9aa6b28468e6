#include "engine/identity.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>

#include "engine/crypto.h"

namespace mesh::engine {
namespace {

// RFC 8032 §7.1, TEST 1: secret seed, public key, and the signature of the empty message.
constexpr std::string_view rfc8032_seed =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view rfc8032_public =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view rfc8032_signature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

std::string hex(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t index = 0; index < size; index++) {
    out += digits[bytes[index] >> 4];
    out += digits[bytes[index] & 0xf];
  }
  return out;
}

// The public key OpenSSL derives from a raw Ed25519 seed: what `openssl pkey -pubout` prints.
std::string openssl_public_key_hex(const SecretSeed& seed) {
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.bytes().data(),
                                               seed.bytes().size());
  EXPECT_NE(key, nullptr);
  std::array<std::uint8_t, 32> public_key{};
  std::size_t size = public_key.size();
  EXPECT_EQ(EVP_PKEY_get_raw_public_key(key, public_key.data(), &size), 1);
  EVP_PKEY_free(key);
  return hex(public_key.data(), size);
}

// Keys that share a long prefix exercise every word of compare_bytes, not just the first.
std::array<std::uint8_t, public_key_size> arbitrary_key_bytes(
    const std::array<std::uint8_t, public_key_size>& near) {
  auto bytes = near;
  const auto prefix = *rc::gen::inRange<std::size_t>(0, public_key_size + 1);
  for (std::size_t index = prefix; index < public_key_size; index++) {
    bytes[index] = *rc::gen::arbitrary<std::uint8_t>();
  }
  return bytes;
}

RC_GTEST_PROP(PublicKeyOrder, IsTheLexicographicOrderOfTheBytes, ()) {
  PublicKey left;
  for (auto& byte : left.bytes) byte = *rc::gen::arbitrary<std::uint8_t>();
  PublicKey right{.bytes = arbitrary_key_bytes(left.bytes)};
  const auto expected = std::lexicographical_compare_three_way(
      left.bytes.begin(), left.bytes.end(), right.bytes.begin(), right.bytes.end());
  RC_ASSERT((left <=> right) == expected);
  RC_ASSERT((right <=> left) == (0 <=> expected));
  RC_ASSERT((left == right) == (expected == 0));
  const Digest left_digest{.bytes = left.bytes};
  const Digest right_digest{.bytes = right.bytes};
  RC_ASSERT((left_digest <=> right_digest) == expected);
  RC_ASSERT((left_digest == right_digest) == (expected == 0));
}

TEST(PublicKeyOrder, HighByteOfALaterWordDecidesOnlyAfterEqualEarlierWords) {
  PublicKey low;
  PublicKey high;
  low.bytes[0] = 1;
  high.bytes[31] = 0xff;  // larger in its last byte, smaller in its first
  EXPECT_LT(high, low);
  high.bytes[0] = 1;
  EXPECT_LT(low, high);
  low.bytes[8] = 0x80;  // the first byte of the second word outweighs the last
  EXPECT_GT(low, high);
}

TEST(Identity, Rfc8032VectorGivesItsPublicKeyAndSignature) {
  const auto seed = parse_secret_seed_hex(rfc8032_seed);
  ASSERT_TRUE(seed.ok());
  const Identity identity(seed.value());
  EXPECT_EQ(identity.public_key().hex(), rfc8032_public);
  const Signature signature = identity.sign({});
  EXPECT_EQ(hex(signature.bytes.data(), signature.bytes.size()), rfc8032_signature);
  EXPECT_TRUE(verify(identity.public_key(), {}, signature));
}

TEST(Identity, PublicKeyEqualsOpensslDerivation) {
  const auto seed = parse_secret_seed_hex(rfc8032_seed);
  ASSERT_TRUE(seed.ok());
  EXPECT_EQ(Identity(seed.value()).public_key().hex(), openssl_public_key_hex(seed.value()));
}

TEST(Identity, ParseToleratesSurroundingWhitespaceAndUppercase) {
  std::string upper(rfc8032_seed);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& text : {std::string(rfc8032_seed) + "\n",
                                  std::string(rfc8032_seed) + "\r\n", "  " + upper + "\t\n"}) {
    const auto seed = parse_secret_seed_hex(text);
    ASSERT_TRUE(seed.ok()) << seed.error().message;
    EXPECT_EQ(seed->hex(), rfc8032_seed);
  }
}

TEST(Identity, ParseRejectsWrongLengthWithTheLengthFound) {
  const auto short_key = parse_secret_seed_hex(rfc8032_seed.substr(0, 62));
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().code, KeyError::wrong_length);
  EXPECT_NE(short_key.error().message.find("found 62"), std::string::npos)
      << short_key.error().message;
  const auto long_key = parse_secret_seed_hex(std::string(rfc8032_seed) + "00");
  ASSERT_FALSE(long_key.ok());
  EXPECT_EQ(long_key.error().code, KeyError::wrong_length);
}

TEST(Identity, ParseRejectsNonHexNamingCharacterAndPosition) {
  std::string text(rfc8032_seed);
  text[9] = 'g';
  const auto seed = parse_secret_seed_hex(text);
  ASSERT_FALSE(seed.ok());
  EXPECT_EQ(seed.error().code, KeyError::not_hex);
  EXPECT_NE(seed.error().message.find("'g' at position 10"), std::string::npos)
      << seed.error().message;
  // A space inside the key is not "surrounding whitespace".
  text = std::string(rfc8032_seed.substr(0, 32)) + " " + std::string(rfc8032_seed.substr(32));
  EXPECT_EQ(parse_secret_seed_hex(text).error().code, KeyError::not_hex);
}

TEST(Identity, ParseRejectsEmpty) {
  EXPECT_EQ(parse_secret_seed_hex("").error().code, KeyError::empty);
  EXPECT_EQ(parse_secret_seed_hex(" \n").error().code, KeyError::empty);
}

TEST(Identity, PublicKeyHexRoundTrips) {
  const auto key = parse_public_key_hex(rfc8032_public);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->hex(), rfc8032_public);
  EXPECT_EQ(key->short_hex(), "d75a9801");
}

RC_GTEST_PROP(Identity, AnySeedSignsVerifiablyAndMatchesOpenssl,
              (const std::array<std::uint8_t, 32>& bytes, const std::string& message)) {
  const SecretSeed seed(bytes);
  const Identity identity(seed);
  RC_ASSERT(identity.public_key().hex() == openssl_public_key_hex(seed));
  const Signature signature = identity.sign(as_bytes(message));
  RC_ASSERT(verify(identity.public_key(), as_bytes(message), signature));
  // Any flipped bit of the message breaks the signature.
  std::string tampered = message + "x";
  RC_ASSERT(!verify(identity.public_key(), as_bytes(tampered), signature));
}

}  // namespace
}  // namespace mesh::engine
