// The RASP compiler, sharing (proofs/rasp-compile.md, "Sharing common subexpressions"): a
// program that computes the same thing twice (rover's loops build the same selector hundreds
// of times as distinct nodes) gets one head or gate for it. The builder writes every
// coordinate once, from zero (an input column, one head's value column, or one feed-forward
// output), so equal computations over equal coordinates give equal coordinates, layer by
// layer: value numbering.
#include <algorithm>
#include <numeric>

#include "rasp/compile_internal.hpp"

namespace ahat::rasp::detail {

namespace {

Lin through(const Lin& x, const std::vector<std::uint32_t>& map) {
    Lin out;
    out.constant = x.constant;
    for (const auto& [c, k] : x.terms) {
        Rational& t = out.terms[map[c]];
        t += k;
        if (t == 0) out.terms.erase(map[c]);
    }
    return out;
}

bool same_rows(const HeadBuild& a, const HeadBuild& b) {
    if (a.mask != b.mask || a.window != b.window || a.rows.size() != b.rows.size()) return false;
    for (std::size_t r = 0; r < a.rows.size(); ++r)
        if (a.rows[r].q != b.rows[r].q || a.rows[r].k != b.rows[r].k) return false;
    return true;
}

// Heads of one layer: value maps over equal coordinates, then one head per score (mask,
// window, query and key maps), and one output per distinct value map.
void share_heads(LayerBuild& L, std::vector<std::uint32_t>& rep) {
    std::vector<HeadBuild> kept;
    for (HeadBuild& h : L.heads) {
        for (Row& r : h.rows) r.q = through(r.q, rep), r.k = through(r.k, rep);
        for (Lin& v : h.values) v = through(v, rep);
        auto same = std::find_if(kept.begin(), kept.end(), [&](const HeadBuild& k) { return same_rows(k, h); });
        if (same == kept.end()) {  // a new score: the head without its values, which the loop adds
            kept.push_back(h);
            kept.back().values.clear(), kept.back().outputs.clear();
            same = kept.end() - 1;
        }
        HeadBuild* into = &*same;
        for (std::size_t v = 0; v < h.values.size(); ++v) {
            auto it = std::find(into->values.begin(), into->values.end(), h.values[v]);
            if (it != into->values.end()) {
                rep[h.outputs[v]] = into->outputs[it - into->values.begin()];
            } else {
                into->values.push_back(std::move(h.values[v]));
                into->outputs.push_back(h.outputs[v]);
            }
        }
    }
    L.heads = std::move(kept);
}

// The feed-forward circuit of one layer: inputs over equal coordinates merged, gates numbered
// by (operation, numbered operands, constant), one write per distinct output gate; the
// circuit rebuilt from what the kept writes reach.
void share_circuit(LayerBuild& L, std::vector<std::uint32_t>& rep) {
    const Circuit& C = L.circuit;
    if (C.inputs.size() != L.reads.size()) internal_error("share: {} circuit inputs for {} reads", C.inputs.size(), L.reads.size());
    std::vector<GateId> num(C.gates.size());
    std::map<std::uint32_t, GateId> input_of;  // representative coordinate -> its input gate
    std::map<std::tuple<Op, std::vector<GateId>, Rational>, GateId> seen;
    std::vector<std::uint32_t> read_of(C.gates.size(), 0);
    for (std::size_t k = 0; k < C.inputs.size(); ++k) read_of[C.inputs[k]] = rep[L.reads[k]];
    for (GateId g = 0; g < C.gates.size(); ++g) {
        const Gate& gate = C.gates[g];
        if (gate.op == Op::Input) {
            num[g] = input_of.emplace(read_of[g], g).first->second;
            continue;
        }
        std::vector<GateId> in;
        for (GateId x : gate.in) in.push_back(num[x]);
        num[g] = seen.emplace(std::make_tuple(gate.op, std::move(in), gate.op == Op::Const ? gate.value : Rational(0)), g)
                     .first->second;
    }
    std::map<GateId, std::uint32_t> written;  // numbered gate -> the coordinate holding it
    std::vector<GateId> outs;
    std::vector<std::uint32_t> writes;
    for (std::size_t k = 0; k < L.outputs.size(); ++k) {
        const auto [it, fresh] = written.emplace(num[L.outputs[k]], L.writes[k]);
        if (!fresh) {
            rep[L.writes[k]] = it->second;
            continue;
        }
        outs.push_back(num[L.outputs[k]]);
        writes.push_back(L.writes[k]);
    }
    // rebuild: the numbered gates the outputs reach, in their order
    std::vector<char> live(C.gates.size(), 0);
    for (GateId g : outs) live[g] = 1;
    for (GateId g = static_cast<GateId>(C.gates.size()); g-- > 0;)
        if (live[g])
            for (GateId x : C.gates[g].in) live[num[x]] = 1;
    Circuit out;
    std::vector<GateId> id(C.gates.size());
    std::vector<std::uint32_t> reads;
    for (GateId g = 0; g < C.gates.size(); ++g) {
        if (!live[g] || num[g] != g) continue;
        const Gate& gate = C.gates[g];
        std::vector<GateId> in;
        for (GateId x : gate.in) in.push_back(id[num[x]]);
        switch (gate.op) {
            case Op::Input: id[g] = out.input(gate.name), reads.push_back(read_of[g]); break;
            case Op::Const: id[g] = out.constant(gate.value, gate.name); break;
            case Op::Add: id[g] = out.add(std::move(in), gate.name); break;
            case Op::Mul: id[g] = out.mul(in[0], in[1], gate.name); break;
            case Op::Sign: id[g] = out.sign(in[0], gate.name); break;
        }
    }
    for (GateId& g : outs) g = id[g];
    L.circuit = std::move(out);
    L.reads = std::move(reads);
    L.writes = std::move(writes);
    L.outputs = std::move(outs);
    L.gate_of.clear();  // the builder's index into the old circuit
}

}  // namespace

std::vector<std::uint32_t> Builder::share() {
    std::vector<std::uint32_t> rep(d);
    std::iota(rep.begin(), rep.end(), 0u);
    // input coordinates (never written) with equal embedding and positional columns
    std::vector<char> written(d, 0);
    for (const LayerBuild& L : layers) {
        for (const HeadBuild& h : L.heads)
            for (std::uint32_t c : h.outputs) written[c] = 1;
        for (std::uint32_t c : L.writes) written[c] = 1;
    }
    std::map<std::pair<std::vector<Rational>, std::vector<std::pair<Feature, Rational>>>, std::uint32_t> column;
    for (std::uint32_t c = 0; c < d; ++c)
        if (!written[c]) rep[c] = column.emplace(std::make_pair(embedding[c], positional[c]), c).first->second;
    for (LayerBuild& L : layers) {
        share_heads(L, rep);
        share_circuit(L, rep);
    }
    // renumber: representatives keep their order, the others take their representative's number
    std::vector<std::uint32_t> to(d);
    std::uint32_t kept = 0;
    for (std::uint32_t c = 0; c < d; ++c)
        if (rep[c] == c) to[c] = kept++;
    for (std::uint32_t c = 0; c < d; ++c) to[c] = to[rep[c]];  // a representative is always its own
    for (std::uint32_t c = 0, k = 0; c < d; ++c) {
        if (rep[c] != c) continue;
        if (k != c) positional[k] = std::move(positional[c]), embedding[k] = std::move(embedding[c]);
        ++k;
    }
    positional.resize(kept), embedding.resize(kept);
    d = kept;
    for (LayerBuild& L : layers) {
        for (HeadBuild& h : L.heads) {
            for (Row& r : h.rows) r.q = through(r.q, to), r.k = through(r.k, to);
            for (Lin& v : h.values) v = through(v, to);
            for (std::uint32_t& c : h.outputs) c = to[c];
        }
        for (std::uint32_t& c : L.reads) c = to[c];
        for (std::uint32_t& c : L.writes) c = to[c];
    }
    for (std::optional<Enc>& e : sops)
        if (e)
            for (Lin& p : e->parts) p = through(p, to);
    for (std::optional<std::uint32_t>* c : {&not_bos_, &i_, &inv_, &inv2_})
        if (*c) **c = to[**c];
    return to;
}

}  // namespace ahat::rasp::detail
