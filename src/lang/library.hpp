// Built-in languages: regular ones (with minimal DFAs) chosen to separate the models of the
// local-versus-global comparison, and non-regular ones (membership functions only).
//
// Offers:
//   library()             all built-in languages, in a fixed order (built once).
//   find_language(name)   by name, nullptr when unknown.
// Every language's membership function is written directly (not through its DFA), so tests
// can compare the two on all short words.
#pragma once

#include <string_view>
#include <vector>

#include "lang/language.hpp"

namespace ahat::lang {

const std::vector<Language>& library();
const Language* find_language(std::string_view name);

}  // namespace ahat::lang
