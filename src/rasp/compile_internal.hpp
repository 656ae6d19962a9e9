// Internals of the RASP compiler (compile.hpp), shared by compile*.cpp; not a public header.
//
// Offers:
//   Lin        a linear form over residual coordinates plus a constant (heads use the constant;
//              SOp encodings never have one, so they vanish at the BOS row).
//   Enc        the static type and encoding of one SOp: Categorical (one Lin per value, a
//              one-hot at every real position), Integer or Rational (one Lin).
//   SelForm    a selector that one head computes: a conjunction (mask, window, tables,
//              integer equalities).
//   SelSum     any compiled selector: a signed sum of SelForms (compile_union.cpp).
//   Builder    the encoder under construction: coordinates, layers with heads and
//              feed-forward circuits, memoised SOp encodings, selector forms and sums;
//              share() merges equal heads, gates and coordinates once all is built.
// The invariant (proofs/rasp-compile.md): an Enc available at level L holds its values at
// every real position and 0 at the BOS row in the state after L layers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "encoder/encoder.hpp"
#include "rasp/compile.hpp"

namespace ahat::rasp::detail {

struct Lin {
    std::map<std::uint32_t, Rational> terms;  // coordinate -> coefficient
    Rational constant = 0;
    static Lin coord(std::uint32_t c) {
        Lin l;
        l.terms[c] = 1;
        return l;
    }
    Lin& add(const Lin& o, const Rational& k);  // this += k * o
    bool empty() const { return terms.empty() && constant == 0; }
    bool operator==(const Lin&) const = default;
};
Lin scaled(const Lin& l, const Rational& k);

enum class Type { Categorical, Integer, Rational };

struct Enc {
    Type type = Type::Categorical;
    std::vector<Value> values;  // Categorical
    std::vector<Lin> parts;     // Categorical: one per value; numeric: one
    std::size_t level = 0;      // available in the state after `level` layers
};

// One score dimension of a head: q-row . k-row.
struct Row {
    Lin q, k;
};

struct HeadBuild {
    std::string name;
    std::vector<Row> rows;
    std::vector<Lin> values;
    std::vector<std::uint32_t> outputs;  // one coordinate per value
    Mask mask = Mask::None;
    std::optional<std::uint64_t> window;
    SourceLoc loc;
};

struct LayerBuild {
    std::vector<HeadBuild> heads;
    Circuit circuit;
    std::map<std::uint32_t, GateId> gate_of;  // coordinate -> gate (read or written here)
    std::vector<std::uint32_t> reads, writes;
    std::vector<GateId> outputs;
};

// A selector as mask ∩ {score = 0}: score = sum of terms, each 0 where its conjunct holds and
// <= -1 where it does not.
struct Table {  // categorical x categorical: T[query value][key value]
    std::uint32_t qsop = 0, ksop = 0;
    std::vector<std::vector<bool>> t;
};
struct IntEq {  // -(q - k)^2 on integer-valued SOps
    std::uint32_t qsop = 0, ksop = 0;
};
struct SelForm {
    bool never = false;  // constant false
    std::optional<Mask> mask;
    bool window0 = false;  // select(indices, indices, ==)
    std::vector<Table> tables;
    std::vector<IntEq> eqs;
    bool at_most_one = false;  // at most one key per query
    bool nonempty = false;     // at least one key per query (the default is never used)
};

// f and t: t is folded cell by cell into f's table over the same two SOps, if any (one score
// row set instead of two); f becomes `never` when that table selects no pair.
void conjoin(SelForm& f, const Table& t);

// A selector as a signed sum of conjunctions (inclusion-exclusion): its 0/1 matrix is
// sum_t coef_t * [term_t]. `parts` marks sums whose terms all select subsets of the selector
// (or, and, != as j<i plus j>i), so that a categorical aggregate selecting at most one key
// is the signed sum of the terms' one-hots; `not` of a non-table breaks it.
struct SelSum {
    std::vector<std::pair<int, SelForm>> terms;
    bool parts = true;
};

struct Builder {
    const Program& prog;
    std::vector<std::string> alphabet;
    std::uint32_t d = 0;
    std::vector<std::vector<std::pair<Feature, Rational>>> positional;  // per coordinate
    std::vector<std::vector<Rational>> embedding;                       // per coordinate, per symbol
    std::vector<LayerBuild> layers;
    std::vector<std::optional<Enc>> sops;
    std::vector<std::optional<SelForm>> sels;
    std::map<std::uint32_t, Enc> squares;  // SOp id -> its square (Integer)
    std::optional<std::uint32_t> not_bos_, i_, i2_, inv_, inv2_;

    Builder(const Program& p, std::vector<std::string> alpha) : prog(p), alphabet(std::move(alpha)) {}

    // coordinates
    std::uint32_t fresh();
    std::uint32_t not_bos();  // 1 - first
    std::uint32_t feature_i();
    std::uint32_t feature_i2();  // i^2
    std::uint32_t inv_pos();   // 1/(i+1)
    Enc inv_pos_sq();          // 1/(i+1)^2, level 1
    Enc length();              // (n-1) at real positions, level 1
    std::optional<Enc> length_;
    LayerBuild& layer(std::size_t l);

    // feed-forward circuits: gates for Lins in the circuit of layer l
    GateId gate(std::size_t l, const Lin& x);
    std::uint32_t write(std::size_t l, GateId g);  // a fresh coordinate holding g
    GateId one(std::size_t l) { return gate(l, Lin::coord(not_bos())); }

    // SOps
    const Enc& sop(std::uint32_t id);
    Enc compile_sop(std::uint32_t id);
    Enc compile_map(const SopNode& node);
    Enc compile_lookup(const SopNode& node, const std::vector<Enc>& args);
    Enc compile_aggregate(const SopNode& node);
    Enc compile_width(const SopNode& node);
    // one head (two for a width) over one conjunction; parts: categorical one-hots over the
    // values' values (0 where nothing is selected, no default or None coordinate), or the raw
    // mean with 0 at an empty selection, for reading with a flag (compile_union.cpp)
    Enc aggregate_form(const SopNode& node, const SelForm& f, bool parts);
    Enc width_form(const SelForm& f, const SourceLoc& loc);
    Enc width_of_sel(std::uint32_t sel, const SourceLoc& loc);
    // the selector S when `mean` is aggregate(S, indicator(indices == 0)) and S selects key 0
    // for every query: then mean = 1/width(S), and x / mean = x * width(S)
    std::optional<std::uint32_t> reciprocal_width(std::uint32_t mean);
    Enc square(std::uint32_t id);
    // whether `width` is the width of the selector of the mean `mean` of integers (a mask's
    // closed form, or length for all keys): then width * mean is the integer sum over it
    bool is_sum(std::uint32_t width, std::uint32_t mean);
    // 1/(indices+1) or 1/length (level 2) when the divisor's form is indices + 1 or length
    std::optional<Enc> positional_reciprocal(const Enc& divisor);
    std::optional<Enc> inv_upto_, inv_all_;
    std::optional<std::uint32_t> first_real_;
    Lin scalar(const Enc& e, const SourceLoc& loc, const char* what);

    // selectors
    std::vector<std::optional<SelSum>> sums;
    const SelSum& selsum(std::uint32_t id);
    SelSum compile_selsum(std::uint32_t id);
    bool plain(const SelSum& s) const;  // one term with coefficient 1 that one head computes
    Enc width_of(const SelForm& f, const SourceLoc& loc);
    // the width of a sum of conjunctions read back by one head (nullopt: a term is a closed
    // form, or there are too many terms; then each term is read back alone)
    std::optional<Enc> sum_width(const SelSum& s, const SourceLoc& loc);
    Enc flag_of(const SelForm& f, const SourceLoc& loc);  // [f selects some key], level-tagged
    Enc product(const Enc& x, const Enc& flag);           // x (any encoding) times a 0/1 flag
    Enc aggregate_sum(const SopNode& node, const SelSum& s);
    const SelForm& sel(std::uint32_t id);
    SelForm compile_sel(std::uint32_t id);
    std::size_t form_level(const SelForm& f);
    // the head's score rows; bos = the BOS key's score (-1/2 for aggregates, 0 for widths)
    void score_rows(const SelForm& f, const Rational& bos, HeadBuild& h);
    Enc constant_enc(const Value& v);
    std::uint32_t add_head(std::size_t l, HeadBuild h);  // returns the first output coordinate

    // Once every SOp is built: equal computations share one head, gate and coordinate
    // (compile_share.cpp); returns the new number of every old coordinate. Nothing may be
    // built afterwards.
    std::vector<std::uint32_t> share();
};

// RASP's elementwise operators on values (Python semantics); nullopt where RASP raises.
std::optional<Value> apply_op(const SopNode& node, const std::vector<Value>& args);
bool truthy(const Value& v);
bool integer_valued(const Enc& e);  // Integer, or finite with integer / boolean values only
std::optional<bool> apply_pred(Pred p, const Value& key, const Value& query);
std::string_view sop_op_name(SopOp op);

}  // namespace ahat::rasp::detail
