#include "kube_sim/selector.h"

#include <algorithm>

#include "kube_sim/limits.h"
#include "kube_sim/validation.h"

namespace mesh::kube_sim {
namespace {

enum class TokenKind : std::uint8_t {
  identifier,
  bang,        // !
  equals,      // = or ==
  not_equals,  // !=
  open,        // (
  close,       // )
  comma,       // ,
  end,
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::string text;  // identifiers only
};

bool is_special(char c) {
  return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Splits the selector into tokens, as the lexer of k8s.io/apimachinery/pkg/labels does.
Result<std::vector<Token>, std::string> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t index = 0;
  while (index < text.size()) {
    const char c = text[index];
    if (is_space(c)) {
      index++;
    } else if (c == '<' || c == '>') {
      return fail("unsupported operator '" + std::string(1, c) + "' at offset " +
                  std::to_string(index));
    } else if (c == '!' && index + 1 < text.size() && text[index + 1] == '=') {
      tokens.push_back({TokenKind::not_equals, {}});
      index += 2;
    } else if (c == '=') {
      const bool doubled = index + 1 < text.size() && text[index + 1] == '=';
      tokens.push_back({TokenKind::equals, {}});
      index += doubled ? 2 : 1;
    } else if (c == '!' || c == '(' || c == ')' || c == ',') {
      const TokenKind kind = c == '!'   ? TokenKind::bang
                             : c == '(' ? TokenKind::open
                             : c == ')' ? TokenKind::close
                                        : TokenKind::comma;
      tokens.push_back({kind, {}});
      index++;
    } else {
      const std::size_t start = index;
      while (index < text.size() && !is_space(text[index]) && !is_special(text[index])) index++;
      tokens.push_back({TokenKind::identifier, std::string(text.substr(start, index - start))});
    }
  }
  tokens.push_back({TokenKind::end, {}});
  return tokens;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<std::vector<SelectorRequirement>, std::string> parse_all() {
    std::vector<SelectorRequirement> requirements;
    if (peek().kind == TokenKind::end) return requirements;
    while (true) {
      if (requirements.size() >= label_selector_requirements_max) {
        return fail("more than label_selector_requirements_max=" +
                    std::to_string(label_selector_requirements_max) + " requirements");
      }
      MESH_TRY(SelectorRequirement requirement, parse_requirement());
      requirements.push_back(std::move(requirement));
      const Token& next = take();
      if (next.kind == TokenKind::end) return requirements;
      if (next.kind != TokenKind::comma) return fail(std::string("expected ',' or end"));
    }
  }

 private:
  const Token& peek() const { return tokens_[std::min(index_, tokens_.size() - 1)]; }
  const Token& take() {
    const Token& token = peek();
    if (index_ < tokens_.size()) index_++;
    return token;
  }

  Result<std::string, std::string> take_key() {
    const Token& token = take();
    if (token.kind != TokenKind::identifier) return fail(std::string("expected a label key"));
    const Result<void, std::string> valid = check_qualified_name(token.text);
    if (!valid.ok()) {
      return fail("invalid label key \"" + printable(token.text) + "\": " + valid.error());
    }
    return token.text;
  }

  Result<std::string, std::string> take_value() {
    // An empty value ("key=") is allowed: the token after the operator is then ',' or end.
    if (peek().kind != TokenKind::identifier) return std::string();
    const Token& token = take();
    const Result<void, std::string> valid = check_label_value(token.text);
    if (!valid.ok()) {
      return fail("invalid label value \"" + printable(token.text) + "\": " + valid.error());
    }
    return token.text;
  }

  Result<SelectorRequirement, std::string> parse_requirement() {
    if (peek().kind == TokenKind::bang) {
      take();
      MESH_TRY(std::string key, take_key());
      return SelectorRequirement{std::move(key), SelectorOperator::not_exists, {}};
    }
    MESH_TRY(std::string key, take_key());
    const Token& op = peek();
    if (op.kind == TokenKind::comma || op.kind == TokenKind::end) {
      return SelectorRequirement{std::move(key), SelectorOperator::exists, {}};
    }
    if (op.kind == TokenKind::equals || op.kind == TokenKind::not_equals) {
      const SelectorOperator kind =
          op.kind == TokenKind::equals ? SelectorOperator::equals : SelectorOperator::not_equals;
      take();
      MESH_TRY(std::string value, take_value());
      return SelectorRequirement{std::move(key), kind, {std::move(value)}};
    }
    if (op.kind == TokenKind::identifier && (op.text == "in" || op.text == "notin")) {
      const SelectorOperator kind =
          op.text == "in" ? SelectorOperator::in : SelectorOperator::not_in;
      take();
      MESH_TRY(std::vector<std::string> values, parse_value_set());
      return SelectorRequirement{std::move(key), kind, std::move(values)};
    }
    return fail("expected an operator after \"" + printable(key) + "\"");
  }

  Result<std::vector<std::string>, std::string> parse_value_set() {
    if (take().kind != TokenKind::open) return fail(std::string("expected '(' after in/notin"));
    if (peek().kind == TokenKind::close) {
      return fail(std::string("for 'in' and 'notin', the set of values must not be empty"));
    }
    std::vector<std::string> values;
    while (true) {
      if (values.size() >= label_selector_values_max) {
        return fail("more than label_selector_values_max=" +
                    std::to_string(label_selector_values_max) + " values in a set");
      }
      MESH_TRY(std::string value, take_value());
      values.push_back(std::move(value));
      const Token& next = take();
      if (next.kind == TokenKind::close) break;
      if (next.kind != TokenKind::comma) return fail(std::string("expected ',' or ')'"));
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return values;
  }

  std::vector<Token> tokens_;
  std::size_t index_ = 0;
};

// The value of `key` in a labels object, or null when absent (or not a string).
const std::string* find_label(const engine::Json& labels, const std::string& key) {
  if (!labels.is_object()) return nullptr;
  const auto found = labels.find(key);
  if (found == labels.end() || !found->is_string()) return nullptr;
  return &found->get_ref<const std::string&>();
}

bool requirement_matches(const SelectorRequirement& requirement, const engine::Json& labels) {
  const std::string* value = find_label(labels, requirement.key);
  const auto in_values = [&] {
    return value != nullptr &&
           std::binary_search(requirement.values.begin(), requirement.values.end(), *value);
  };
  switch (requirement.op) {
    case SelectorOperator::exists: return value != nullptr;
    case SelectorOperator::not_exists: return value == nullptr;
    case SelectorOperator::equals: return value != nullptr && *value == requirement.values[0];
    case SelectorOperator::not_equals: return value == nullptr || *value != requirement.values[0];
    case SelectorOperator::in: return in_values();
    case SelectorOperator::not_in: return !in_values();
  }
  MESH_UNREACHABLE();
}

}  // namespace

Result<LabelSelector, std::string> LabelSelector::parse(std::string_view text) {
  if (text.size() > label_selector_size_max) {
    return fail("label selector longer than label_selector_size_max=" +
                std::to_string(label_selector_size_max));
  }
  MESH_TRY(std::vector<Token> tokens, tokenize(text));
  Parser parser(std::move(tokens));
  MESH_TRY(std::vector<SelectorRequirement> requirements, parser.parse_all());
  LabelSelector selector;
  selector.requirements_ = std::move(requirements);
  return selector;
}

bool LabelSelector::matches(const engine::Json& labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const SelectorRequirement& requirement) {
                       return requirement_matches(requirement, labels);
                     });
}

}  // namespace mesh::kube_sim
