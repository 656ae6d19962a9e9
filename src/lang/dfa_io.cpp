// The .dfa text format: reader with located errors, writer.
#include "lang/dfa_io.hpp"

#include <map>

#include "support/error.hpp"

namespace ahat::lang {
namespace {

struct Word {
    std::string text;
    std::uint32_t col;
};

std::vector<Word> split(std::string_view line) {
    std::vector<Word> out;
    std::size_t i = 0;
    while (i < line.size()) {
        if (line[i] == '#') break;
        if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != '#') ++j;
        out.push_back({std::string(line.substr(i, j - i)), static_cast<std::uint32_t>(i + 1)});
        i = j;
    }
    return out;
}

}  // namespace

Dfa parse_dfa(std::string_view text, const std::string& file, std::size_t max_states) {
    Dfa d;
    bool have_alphabet = false;
    std::optional<std::uint32_t> start;
    std::map<std::string, std::uint32_t> names;
    std::vector<std::vector<std::optional<std::uint32_t>>> delta;
    std::vector<SourceLoc> first_seen;
    std::uint32_t line_no = 0;
    auto loc = [&](std::uint32_t col) { return SourceLoc{file, line_no, col}; };
    auto state = [&](const Word& w) {
        auto [it, fresh] = names.emplace(w.text, static_cast<std::uint32_t>(names.size()));
        if (fresh && names.size() > max_states)
            fail(loc(w.col), "more than {} states (--max-states raises the limit)", max_states);
        if (fresh) {
            delta.emplace_back(d.alphabet.size());
            d.accepting.push_back(false);
            first_seen.push_back(loc(w.col));
        }
        return it->second;
    };
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        auto words = split(line);
        if (words.empty()) continue;
        const std::string& head = words[0].text;
        if (head == "alphabet") {
            if (have_alphabet) fail(loc(1), "second 'alphabet' line");
            if (words.size() != 2) fail(loc(1), "expected 'alphabet LETTERS' (letters written together, e.g. 'alphabet ab')");
            if (!names.empty()) fail(loc(1), "'alphabet' must come before any state");
            d.alphabet = words[1].text;
            for (std::size_t i = 0; i < d.alphabet.size(); ++i) {
                auto c = static_cast<unsigned char>(d.alphabet[i]);
                if (c <= ' ' || c >= 127) fail(loc(words[1].col + static_cast<std::uint32_t>(i)), "letters must be printable ASCII characters");
                if (d.alphabet.find(d.alphabet[i]) != i) fail(loc(words[1].col + static_cast<std::uint32_t>(i)), "letter '{}' repeated", d.alphabet[i]);
            }
            have_alphabet = true;
            continue;
        }
        if (!have_alphabet) fail(loc(words[0].col), "expected 'alphabet LETTERS' first");
        if (head == "start") {
            if (start) fail(loc(1), "second 'start' line");
            if (words.size() != 2) fail(loc(1), "expected 'start STATE'");
            start = state(words[1]);
        } else if (head == "states") {
            for (std::size_t i = 1; i < words.size(); ++i) state(words[i]);
        } else if (head == "accept") {
            for (std::size_t i = 1; i < words.size(); ++i) d.accepting[state(words[i])] = true;
        } else {
            if (words.size() != 3) fail(loc(words[0].col), "expected a transition 'FROM LETTER TO', 'start', 'accept' or 'alphabet'");
            if (words[1].text.size() != 1) fail(loc(words[1].col), "a letter is one character, got '{}'", words[1].text);
            auto a = d.letter(words[1].text[0]);
            if (!a) fail(loc(words[1].col), "letter '{}' is not in the alphabet '{}'", words[1].text, d.alphabet);
            std::uint32_t from = state(words[0]), to = state(words[2]);
            if (delta[from][*a]) fail(loc(words[1].col), "second transition from '{}' on '{}'", words[0].text, words[1].text);
            delta[from][*a] = to;
        }
    }
    if (!have_alphabet) fail(SourceLoc{file, line_no, 1}, "missing 'alphabet' line");
    if (!start) fail(SourceLoc{file, line_no, 1}, "missing 'start' line");
    d.start = *start;
    bool need_sink = false;
    for (const auto& row : delta)
        for (const auto& t : row) need_sink = need_sink || !t;
    const auto sink = static_cast<std::uint32_t>(delta.size());
    for (const auto& row : delta) {
        std::vector<std::uint32_t> r;
        for (const auto& t : row) r.push_back(t ? *t : sink);
        d.delta.push_back(std::move(r));
    }
    if (need_sink) {
        d.delta.emplace_back(d.alphabet.size(), sink);
        d.accepting.push_back(false);
    }
    return d;
}

Dfa load_dfa(const std::string& path, std::size_t max_states) {
    return parse_dfa(read_file(path), input_name(path), max_states);
}

std::string write_dfa(const Dfa& d, const std::string& comment) {
    std::string out;
    if (!comment.empty()) out += "# " + comment + "\n";
    out += fmt::format("alphabet {}\nstates", d.alphabet);
    for (std::size_t q = 0; q < d.states(); ++q) out += fmt::format(" {}", q);
    out += fmt::format("\nstart {}\naccept", d.start);
    for (std::size_t q = 0; q < d.states(); ++q)
        if (d.accepting[q]) out += fmt::format(" {}", q);
    out += "\n";
    for (std::size_t q = 0; q < d.states(); ++q)
        for (std::size_t a = 0; a < d.alphabet.size(); ++a) out += fmt::format("{} {} {}\n", q, d.alphabet[a], d.delta[q][a]);
    return out;
}

}  // namespace ahat::lang
