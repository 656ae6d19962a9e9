#include "support/json.hpp"

#include <cctype>

namespace ahat {

JValue::JValue() = default;
JValue::JValue(const JValue&) = default;
JValue::JValue(JValue&&) noexcept = default;
JValue& JValue::operator=(const JValue&) = default;
JValue& JValue::operator=(JValue&&) noexcept = default;
JValue::~JValue() = default;

std::string_view kind_name(JValue::Kind k) {
    switch (k) {
        case JValue::Kind::Null: return "null";
        case JValue::Kind::Bool: return "a boolean";
        case JValue::Kind::Number: return "a number";
        case JValue::Kind::String: return "a string";
        case JValue::Kind::Array: return "an array";
        case JValue::Kind::Object: return "an object";
    }
    return "?";
}

const JValue* JValue::find(std::string_view key) const {
    for (const auto& [k, v] : members)
        if (k == key) return &v;
    return nullptr;
}

const JValue& JValue::at(std::string_view key) const {
    object("value");
    if (const JValue* v = find(key)) return *v;
    fail(loc, "missing key \"{}\"", key);
}

const std::vector<JValue>& JValue::array(std::string_view what) const {
    if (kind != Kind::Array) fail(loc, "{}: expected an array, found {}", what, kind_name(kind));
    return items;
}

const JValue& JValue::object(std::string_view what) const {
    if (kind != Kind::Object) fail(loc, "{}: expected an object, found {}", what, kind_name(kind));
    return *this;
}

const std::string& JValue::string(std::string_view what) const {
    if (kind != Kind::String) fail(loc, "{}: expected a string, found {}", what, kind_name(kind));
    return text;
}

Rational JValue::rational(std::string_view what) const {
    if (kind != Kind::String && kind != Kind::Number)
        fail(loc, "{}: expected a rational (a string like \"7/2\" or a number), found {}", what,
             kind_name(kind));
    ParseFailure why;
    auto r = parse_rational(text, &why);
    if (!r) {
        SourceLoc at = loc;
        at.col += static_cast<std::uint32_t>(why.offset) + (kind == Kind::String ? 1 : 0);
        fail(at, "{}: bad rational \"{}\": {}", what, text, why.why);
    }
    return *r;
}

std::uint64_t JValue::count(std::string_view what) const {
    if (kind != Kind::Number)
        fail(loc, "{}: expected a non-negative integer, found {}", what, kind_name(kind));
    bool digits = !text.empty() && text.size() <= 10;
    for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits || std::stoull(text) >= (1ULL << 32))
        fail(loc, "{}: expected a non-negative integer below 2^32, found {}", what, text);
    return std::stoull(text);
}

bool JValue::flag(std::string_view what) const {
    if (kind != Kind::Bool) fail(loc, "{}: expected true or false, found {}", what, kind_name(kind));
    return boolean;
}

void JValue::only_keys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : members) {
        bool ok = false;
        for (auto a : allowed) ok = ok || a == k;
        if (!ok) {
            std::string list;
            for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            fail(v.loc, "unknown key \"{}\" (expected one of: {})", k, list);
        }
    }
}

namespace {

class Parser {
public:
    Parser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

    JValue document() {
        JValue v = value(0);
        skip_ws();
        if (pos_ != s_.size()) fail(here(), "unexpected text after the JSON document");
        return v;
    }

private:
    std::string_view s_;
    const std::string& file_;
    std::size_t pos_ = 0;
    std::uint32_t line_ = 1, col_ = 1;

    SourceLoc here() const { return SourceLoc{file_, line_, col_}; }

    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    void advance() {
        if (s_[pos_] == '\n') {
            ++line_;
            col_ = 1;
        } else {
            ++col_;
        }
        ++pos_;
    }
    void skip_ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            advance();
    }
    void expect(char c, std::string_view context) {
        skip_ws();
        if (peek() != c) {
            if (pos_ >= s_.size()) fail(here(), "unexpected end of file, expected '{}' {}", c, context);
            fail(here(), "expected '{}' {}, found '{}'", c, context, peek());
        }
        advance();
    }

    JValue value(int depth) {
        if (depth > 200) fail(here(), "JSON nested too deeply (limit 200)");
        skip_ws();
        JValue v;
        v.loc = here();
        if (pos_ >= s_.size()) fail(here(), "unexpected end of file, expected a value");
        char c = peek();
        if (c == '{') {
            v.kind = JValue::Kind::Object;
            advance();
            skip_ws();
            if (peek() == '}') {
                advance();
                return v;
            }
            while (true) {
                skip_ws();
                if (peek() != '"') fail(here(), "expected a string key in object");
                SourceLoc key_loc = here();
                std::string key = string_body();
                for (const auto& m : v.members)
                    if (m.first == key) fail(key_loc, "duplicate key \"{}\"", key);
                expect(':', "after object key");
                v.members.emplace_back(std::move(key), value(depth + 1));
                skip_ws();
                if (peek() == ',') {
                    advance();
                    continue;
                }
                expect('}', "to close object");
                return v;
            }
        }
        if (c == '[') {
            v.kind = JValue::Kind::Array;
            advance();
            skip_ws();
            if (peek() == ']') {
                advance();
                return v;
            }
            while (true) {
                v.items.push_back(value(depth + 1));
                skip_ws();
                if (peek() == ',') {
                    advance();
                    continue;
                }
                expect(']', "to close array");
                return v;
            }
        }
        if (c == '"') {
            v.kind = JValue::Kind::String;
            v.text = string_body();
            return v;
        }
        if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
            v.kind = JValue::Kind::Number;
            std::size_t start = pos_;
            while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(peek())) || peek() == '-' ||
                                        peek() == '+' || peek() == '.' || peek() == 'e' || peek() == 'E'))
                advance();
            v.text.assign(s_.substr(start, pos_ - start));
            ParseFailure why;
            if (!parse_rational(v.text, &why)) {
                SourceLoc at = v.loc;
                at.col += static_cast<std::uint32_t>(why.offset);
                fail(at, "bad number \"{}\": {}", v.text, why.why);
            }
            return v;
        }
        for (std::string_view word : {"true", "false", "null"}) {
            if (s_.substr(pos_, word.size()) == word) {
                for (std::size_t k = 0; k < word.size(); ++k) advance();
                v.kind = word == "null" ? JValue::Kind::Null : JValue::Kind::Bool;
                v.boolean = word == "true";
                return v;
            }
        }
        fail(here(), "unexpected character '{}', expected a JSON value", c);
    }

    std::string string_body() {
        advance();  // opening quote
        std::string out;
        while (true) {
            if (pos_ >= s_.size()) fail(here(), "unterminated string");
            char c = peek();
            if (c == '"') {
                advance();
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) fail(here(), "control character in string");
            if (c == '\\') {
                advance();
                if (pos_ >= s_.size()) fail(here(), "unterminated string");
                char e = peek();
                switch (e) {
                    case '"': out += '"'; break;
                    case '\\': out += '\\'; break;
                    case '/': out += '/'; break;
                    case 'b': out += '\b'; break;
                    case 'f': out += '\f'; break;
                    case 'n': out += '\n'; break;
                    case 'r': out += '\r'; break;
                    case 't': out += '\t'; break;
                    case 'u': {
                        SourceLoc at = here();
                        unsigned cp = 0;
                        for (int k = 0; k < 4; ++k) {
                            advance();
                            char h = peek();
                            if (!std::isxdigit(static_cast<unsigned char>(h))) fail(at, "bad \\u escape");
                            cp = cp * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(h))
                                                                     ? h - '0'
                                                                     : (std::tolower(h) - 'a' + 10));
                        }
                        if (cp < 0x80) {
                            out += static_cast<char>(cp);
                        } else if (cp < 0x800) {
                            out += static_cast<char>(0xC0 | (cp >> 6));
                            out += static_cast<char>(0x80 | (cp & 0x3F));
                        } else {
                            out += static_cast<char>(0xE0 | (cp >> 12));
                            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                            out += static_cast<char>(0x80 | (cp & 0x3F));
                        }
                        break;
                    }
                    default: fail(here(), "bad escape '\\{}' in string", e);
                }
                advance();
                continue;
            }
            out += c;
            advance();
        }
    }
};

}  // namespace

JValue parse_json(std::string_view text, const std::string& file) {
    return Parser(text, file).document();
}

}  // namespace ahat
