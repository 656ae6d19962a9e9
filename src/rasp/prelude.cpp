// The preloaded RASP library (reader.hpp: prelude_text). Each function has the name and the
// values of the reference interpreter's library function of that name (docs/rasp.md lists
// them one by one); the bodies are ours, written so that the compiler accepts them where it
// can: counts are selector widths rather than means scaled by the length, and "last
// instance" compares a width with a count instead of looking at later positions.
// `length` and `selector_width` are built-ins and stay without the prelude.
#include "rasp/reader.hpp"
#include "rasp/syntax.hpp"

namespace ahat::rasp {

std::string_view prelude_text() {
    static constexpr std::string_view text = R"RASP(
full_s = select(1, 1, ==);

def has_focus(sel) {
    return aggregate(sel, 1, 0) > 0;
}

def count(seq, atom) {
    return selector_width(select(indicator(seq == atom), 1, ==));
}

def contains(seq, atom) {
    return count(seq, atom) > 0;
}

def max(a, b) {
    return a if a > b else b;
}

def min(a, b) {
    return a if a < b else b;
}

def average(a) {
    return aggregate(full_s, a);
}

def load_from_location(seq, location) {
    return aggregate(select(indices, location, ==), seq);
}

def shift(seq, n, filler) {
    return aggregate(select(indices + n, indices, ==), seq, filler);
}

def mark_last_instance(seq, val) {
    same = select(seq, val, ==);
    up_to_here = selector_width(same and select(indices, indices, <=));
    return seq == val and up_to_here == selector_width(same);
}

def mark_first_instance(seq, val) {
    before_here = selector_width(select(seq, val, ==) and select(indices, indices, <));
    return seq == val and before_here == 0;
}

def select_from_last(seq, val) {
    return select(mark_last_instance(seq, val), True, ==);
}

def select_from_first(seq, val) {
    return select(mark_first_instance(seq, val), True, ==);
}

def sort(seq, key) {
    before = select(key, key, <) or (select(key, key, ==) and select(indices, indices, <));
    return aggregate(select(selector_width(before), indices, ==), seq);
}

def select_next_identical(seq) {
    earlier_copies = selector_width(select(seq, seq, ==) and select(indices, indices, <));
    return select(seq, seq, ==) and select(earlier_copies, earlier_copies + 1, ==);
}
)RASP";
    return text;
}

const std::set<std::string>& prelude_names() {
    static const std::set<std::string> names = [] {
        std::set<std::string> out;
        for (const auto& s : syntax::parse_rasp(prelude_text(), "<prelude>"))
            if (s->kind == syntax::Stmt::Kind::Def) out.insert(s->name);
            else if (s->kind == syntax::Stmt::Kind::Assign) out.insert(s->names.begin(), s->names.end());
        return out;
    }();
    return names;
}

}  // namespace ahat::rasp
