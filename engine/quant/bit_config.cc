#include "engine/quant/bit_config.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "engine/quant/uniform_quantizer.h"

namespace resq {
namespace {

// Recursive-descent reader over the notation; errors carry the current position.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  [[noreturn]] void fail(const std::string& reason, size_t pos) const {
    throw std::invalid_argument("bit config \"" + std::string(text_) + "\": " + reason +
                                " at position " + std::to_string(pos));
  }
  [[noreturn]] void fail(const std::string& reason) const { fail(reason, pos_); }

  bool at_end() const { return pos_ == text_.size(); }
  size_t pos() const { return pos_; }

  bool accept(std::string_view token) {
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  void expect(std::string_view token) {
    if (!accept(token)) fail("expected '" + std::string(token) + "'");
  }

  // A bit-width in {0, 2..8, 16, 32}; 0 only when `zero_ok`.
  int bits(const char* what, bool zero_ok) {
    const size_t start = pos_;
    int value = 0;
    const char* first = text_.data() + pos_;
    const char* last = text_.data() + text_.size();
    const auto [end, ec] = std::from_chars(first, last, value);
    if (first == last || ec == std::errc::invalid_argument)
      fail("expected the " + std::string(what) + " bit-width");
    pos_ += static_cast<size_t>(end - first);
    const std::string digits(first, end);
    if (ec == std::errc::result_out_of_range || !is_valid_bits(value))
      fail(std::string(what) + " bits " + digits + " not in " + valid_bits_text(), start);
    if (value == 0 && !zero_ok) fail(std::string(what) + " bits cannot be 0", start);
    return value;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

std::vector<int> read_pool(Reader& r) {
  const size_t start = r.pos();
  std::vector<int> pool;
  if (r.accept("}")) r.fail("empty bit-width pool", start);
  do {
    const size_t at = r.pos();
    const int b = r.bits("residual activation", true);
    if (std::find(pool.begin(), pool.end(), b) != pool.end())
      r.fail("bit-width " + std::to_string(b) + " repeated in the pool", at);
    pool.push_back(b);
  } while (r.accept(","));
  r.expect("}");
  std::sort(pool.begin(), pool.end());
  return pool;
}

}  // namespace

const char* scheme_name(QuantScheme s) {
  switch (s) {
    case QuantScheme::kFloat: return "fp32";
    case QuantScheme::kFrame: return "frame";
    case QuantScheme::kResQ: return "resq";
    case QuantScheme::kDynamicResQ: return "dynamic";
    case QuantScheme::kSkip: return "skip";
  }
  return "?";
}

BitConfig BitConfig::parse(std::string_view text) {
  Reader r(text);
  BitConfig c;
  if (r.accept("fp32")) {
    if (r.at_end()) return c;
    r.expect("->");
    r.expect("skip");
    if (!r.at_end()) r.fail("unexpected text after the configuration");
    c.scheme = QuantScheme::kSkip;
    return c;
  }
  r.expect("W");
  c.key_w = r.bits("weight", false);
  r.expect("A");
  c.key_a = r.bits("activation", false);
  if (r.at_end()) {
    c.scheme = QuantScheme::kFrame;
    return c;
  }
  r.expect("->");
  if (r.accept("skip")) {
    if (!r.at_end()) r.fail("unexpected text after the configuration");
    c.scheme = QuantScheme::kSkip;
    return c;
  }
  r.expect("W");
  c.res_w = r.bits("residual weight", false);
  r.expect("A");
  if (r.accept("{")) {
    c.scheme = QuantScheme::kDynamicResQ;
    c.res_a_pool = read_pool(r);
  } else {
    c.scheme = QuantScheme::kResQ;
    c.res_a_pool = {r.bits("residual activation", true)};
  }
  if (!r.at_end()) r.fail("unexpected text after the configuration");
  return c;
}

std::string BitConfig::to_string() const {
  if (scheme == QuantScheme::kFloat) return "fp32";
  std::string text = "W";
  text += std::to_string(key_w);
  text += 'A';
  text += std::to_string(key_a);
  if (scheme == QuantScheme::kSkip) return (key_w == 32 && key_a == 32 ? "fp32" : text) + "->skip";
  if (scheme == QuantScheme::kFrame) return text;
  text += "->W";
  text += std::to_string(res_w);
  text += 'A';
  if (scheme == QuantScheme::kResQ) {
    text += std::to_string(res_a_pool.empty() ? 0 : res_a_pool.front());
    return text;
  }
  text += '{';
  for (size_t i = 0; i < res_a_pool.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(res_a_pool[i]);
  }
  text += '}';
  return text;
}

}  // namespace resq
