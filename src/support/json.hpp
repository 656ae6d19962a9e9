// A JSON reader that remembers where every value stood, so that errors about a file's
// contents (not only its syntax) can name file:line:col.
//
// Offers:
//   JValue                 a parsed value with its SourceLoc; numbers keep their text, so
//                          that "0.1" is read exactly as 1/10.
//   parse_json(text, file) the whole document, or InputError at the offending character.
//   accessors              typed reads that fail with InputError at the value's location.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exact/rational.hpp"
#include "support/error.hpp"

namespace ahat {

struct JValue {
    enum class Kind { Null, Bool, Number, String, Array, Object };
    Kind kind = Kind::Null;
    bool boolean = false;
    std::string text;  // the string's value, or the number's literal text
    std::vector<JValue> items;
    std::vector<std::pair<std::string, JValue>> members;
    SourceLoc loc;

    // Declared here and defaulted in json.cpp, where JValue is complete: a member vector of
    // pairs holding JValue must not be destroyed while the type is incomplete (clang rejects
    // it with libstdc++).
    JValue();
    JValue(const JValue&);
    JValue(JValue&&) noexcept;
    JValue& operator=(const JValue&);
    JValue& operator=(JValue&&) noexcept;
    ~JValue();

    bool is_null() const { return kind == Kind::Null; }
    const JValue* find(std::string_view key) const;  // nullptr if absent (objects only)
    const JValue& at(std::string_view key) const;    // InputError if absent
    const std::vector<JValue>& array(std::string_view what) const;
    const JValue& object(std::string_view what) const;
    const std::string& string(std::string_view what) const;
    Rational rational(std::string_view what) const;  // a JSON number or a rational string
    std::uint64_t count(std::string_view what) const;  // a non-negative integer < 2^32
    bool flag(std::string_view what) const;
    // InputError on any member whose key is not listed.
    void only_keys(std::initializer_list<std::string_view> allowed) const;
};

std::string_view kind_name(JValue::Kind k);

JValue parse_json(std::string_view text, const std::string& file);

}  // namespace ahat
