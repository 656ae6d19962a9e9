#include "analysis/weights_io.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "encoder/encoder_json.hpp"
#include "support/json.hpp"

namespace ahat::analysis {

using ojson = nlohmann::ordered_json;

namespace {

std::string role(const Encoder& enc, std::size_t c) {
    const auto& ro = enc.readout;
    if (ro.kind == Readout::Kind::Sequence)
        for (std::size_t k = 0; k < ro.coordinates.size(); ++k)
            if (ro.coordinates[k] == c) return fmt::format("readout{}", k);
    for (const auto& p : enc.input.positional)
        if (p.vector[c] != 0) return fmt::format("pos:{}", feature_name(p.feature));
    for (std::size_t s = 0; s < enc.input.embedding.size(); ++s)
        if (enc.input.embedding[s][c] != 0) return "token:" + enc.input.alphabet[s];
    for (std::size_t l = 0; l < enc.layers.size(); ++l)
        for (std::size_t h = 0; h < enc.layers[l].heads.size(); ++h) {
            const Sparse<Rational>& o = enc.layers[l].heads[h].output;
            if (o.start[c + 1] > o.start[c]) return fmt::format("L{}H{}", l, h);
        }
    for (std::size_t l = 0; l < enc.layers.size(); ++l)
        if (const auto& f = enc.layers[l].ffn)
            for (std::uint32_t w : f->writes)
                if (w == c) return fmt::format("ffn{}", l);
    return {};
}

Tensor matrix_tensor(const std::string& name, const Matrix<Rational>& m) {
    Tensor t{name, {m.rows, m.cols}, {}};
    for (const Rational& x : m.data) t.data.push_back(x.convert_to<double>());
    return t;
}

Tensor vector_tensor(const std::string& name, const std::vector<Rational>& v) {
    Tensor t{name, {v.size()}, {}};
    for (const Rational& x : v) t.data.push_back(x.convert_to<double>());
    return t;
}

ojson tensor_ref(const std::string& name) { return ojson{{"tensor", name}}; }

void put_u16(std::string& s, std::uint32_t v) { s += char(v & 0xff), s += char((v >> 8) & 0xff); }
void put_u32(std::string& s, std::uint32_t v) { put_u16(s, v & 0xffff), put_u16(s, v >> 16); }
void put_u64(std::string& s, std::uint64_t v) { put_u32(s, static_cast<std::uint32_t>(v)), put_u32(s, static_cast<std::uint32_t>(v >> 32)); }

void put_f64(std::string& s, double x) { put_u64(s, std::bit_cast<std::uint64_t>(x)); }

std::uint32_t crc32(const std::string& s) {
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : s) c = table[(c ^ b) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

std::string npy(const std::string& descr, const std::vector<std::size_t>& shape, const std::string& data) {
    std::string sh = "(";
    for (std::size_t k = 0; k < shape.size(); ++k) sh += fmt::format("{}{}", shape[k], shape.size() == 1 ? "," : k + 1 < shape.size() ? ", " : "");
    sh += ")";
    std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, sh);
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += char(1), out += char(0);
    put_u16(out, static_cast<std::uint32_t>(header.size()));
    return out + header + data;
}

std::uint64_t le(const std::string& s, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(k)]);
    return v;
}

double half_to_double(std::uint16_t h) {
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const double sign = h & 0x8000 ? -1.0 : 1.0;
    if (e == 0) return sign * std::ldexp(m, -24);
    if (e == 31) return m ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
    return sign * std::ldexp(1024 + m, e - 25);
}

}  // namespace

std::vector<std::string> coordinate_names(const Encoder& enc) {
    std::vector<std::string> names;
    for (std::size_t c = 0; c < enc.d; ++c) {
        const std::string r = role(enc, c);
        names.push_back(r.empty() ? fmt::format("c{}", c) : fmt::format("c{}:{}", c, r));
    }
    return names;
}

std::pair<std::vector<Tensor>, std::string> export_weights(const Encoder& enc) {
    std::vector<Tensor> ts;
    ojson sk = encoder_to_json(enc);
    if (enc.input.kind == InputSpec::Kind::String) {
        Matrix<Rational> e(enc.input.alphabet.size(), enc.d);
        for (std::size_t s = 0; s < e.rows; ++s)
            for (std::size_t c = 0; c < enc.d; ++c) e.at(s, c) = enc.input.embedding[s][c];
        ts.push_back(matrix_tensor("input.embedding", e));
        sk["input"]["embedding"] = tensor_ref("input.embedding");
        for (std::size_t k = 0; k < enc.input.positional.size(); ++k) {
            const std::string name = fmt::format("input.positional.{}", k);
            ts.push_back(vector_tensor(name, enc.input.positional[k].vector));
            sk["input"]["positional"][std::string(feature_name(enc.input.positional[k].feature))] = tensor_ref(name);
        }
    }
    ojson heads = ojson::array(), circuits = ojson::array();
    for (std::size_t l = 0; l < enc.layers.size(); ++l) {
        for (std::size_t h = 0; h < enc.layers[l].heads.size(); ++h) {
            const Head& hd = enc.layers[l].heads[h];
            const std::string p = fmt::format("layers.{}.heads.{}.", l, h);
            ojson& hj = sk["layers"][l]["heads"][h];
            auto affine = [&](const char* part, const Affine<Rational>& f) {
                if (!hj.contains(part)) return;
                ts.push_back(matrix_tensor(p + part + ".weight", f.A.to_dense()));
                std::vector<Rational> b = f.b;
                b.resize(f.rows(), Rational(0));
                ts.push_back(vector_tensor(p + part + ".bias", b));
                hj[part] = ojson{{"matrix", tensor_ref(p + part + ".weight")}, {"bias", tensor_ref(p + part + ".bias")}};
            };
            affine("query", hd.query), affine("key", hd.key), affine("value", hd.value);
            ts.push_back(matrix_tensor(p + "output.weight", hd.output.to_dense()));
            hj["output"] = tensor_ref(p + "output.weight");
            ojson hm{{"layer", l}, {"head", h}, {"name", hd.name}, {"rule", rule_name(hd.rule)}, {"mask", mask_name(hd.mask)}};
            hm["window"] = hd.window ? ojson(*hd.window) : ojson(nullptr);
            hm["beta"] = hd.beta.convert_to<double>();
            heads.push_back(std::move(hm));
        }
        if (const auto& f = enc.layers[l].ffn) {
            ojson gates = ojson::array();
            for (const Gate& g : f->circuit.gates)
                gates.push_back(ojson::array({op_name(g.op), g.in, g.op == Op::Const ? g.value.convert_to<double>() : 0.0}));
            circuits.push_back(ojson{{"layer", l}, {"inputs", f->circuit.inputs}, {"outputs", f->circuit.outputs}, {"reads", f->reads},
                                     {"writes", f->writes}, {"gates", std::move(gates)}});
        }
    }
    if (enc.readout.kind == Readout::Kind::Accept) {
        ts.push_back(vector_tensor("readout.weights", enc.readout.weights));
        ts.push_back(Tensor{"readout.bias", {}, {enc.readout.bias.convert_to<double>()}});
        sk["readout"]["weights"] = tensor_ref("readout.weights");
        sk["readout"]["bias"] = tensor_ref("readout.bias");
    }
    const ojson header{{"format", "ahat-weights"}, {"version", 1}, {"coordinates", coordinate_names(enc)}, {"heads", std::move(heads)},
                       {"circuits", std::move(circuits)}, {"skeleton", std::move(sk)}};
    return {std::move(ts), header.dump()};
}

std::string write_safetensors(const std::vector<Tensor>& tensors, const std::string& header) {
    ojson h = ojson::object();
    h["__metadata__"] = ojson{{"ahat", header}};
    std::string data;
    for (const Tensor& t : tensors) {
        const std::size_t begin = data.size();
        for (double x : t.data) put_f64(data, x);
        h[t.name] = ojson{{"dtype", "F64"}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
    }
    std::string hs = h.dump();
    while (hs.size() % 8 != 0) hs += ' ';
    std::string out;
    put_u64(out, hs.size());
    return out + hs + data;
}

std::string write_npz(const std::vector<Tensor>& tensors, const std::string& header) {
    std::vector<std::pair<std::string, std::string>> files;
    for (const Tensor& t : tensors) {
        std::string data;
        for (double x : t.data) put_f64(data, x);
        files.push_back({t.name + ".npy", npy("<f8", t.shape, data)});
    }
    files.push_back({"__metadata__.npy", npy("|u1", {header.size()}, header)});
    std::string out, central;
    for (const auto& file : files) {
        const std::string& name = file.first;  // not a structured binding: clang 14 cannot capture one
        const std::string& body = file.second;
        const std::uint32_t crc = crc32(body), offset = static_cast<std::uint32_t>(out.size());
        auto common = [&](std::string& s) {
            put_u16(s, 20), put_u16(s, 0), put_u16(s, 0), put_u16(s, 0), put_u16(s, 0x21);  // version, flags, stored, time, date 1980-01-01
            put_u32(s, crc), put_u32(s, static_cast<std::uint32_t>(body.size())), put_u32(s, static_cast<std::uint32_t>(body.size()));
            put_u16(s, static_cast<std::uint32_t>(name.size())), put_u16(s, 0);
        };
        put_u32(out, 0x04034b50), common(out), out += name, out += body;
        put_u32(central, 0x02014b50), put_u16(central, 20), common(central);
        put_u16(central, 0), put_u16(central, 0), put_u16(central, 0), put_u32(central, 0), put_u32(central, offset);
        central += name;
    }
    const std::uint32_t cd_offset = static_cast<std::uint32_t>(out.size());
    out += central;
    put_u32(out, 0x06054b50), put_u16(out, 0), put_u16(out, 0);
    put_u16(out, static_cast<std::uint32_t>(files.size())), put_u16(out, static_cast<std::uint32_t>(files.size()));
    put_u32(out, static_cast<std::uint32_t>(central.size())), put_u32(out, cd_offset), put_u16(out, 0);
    return out;
}

std::pair<std::vector<Tensor>, std::string> read_safetensors(const std::string& bytes, const std::string& file) {
    auto bad = [&](std::size_t at, const std::string& why) { throw InputError(SourceLoc{file, 1, static_cast<std::uint32_t>(at + 1)}, why); };
    if (bytes.size() < 8) bad(0, "not a safetensors file: shorter than its 8-byte header length");
    const std::uint64_t n = le(bytes, 0, 8);
    if (n > bytes.size() - 8) bad(0, fmt::format("the header length {} runs past the end of the file ({} bytes)", n, bytes.size()));
    ojson h;
    try {
        h = ojson::parse(bytes.substr(8, n));
    } catch (const ojson::parse_error& e) {
        bad(8 + (e.byte > 0 ? e.byte - 1 : 0), std::string("the header is not JSON: ") + e.what());
    }
    if (!h.is_object()) bad(8, "the header is not a JSON object");
    const std::size_t base = 8 + n, size = bytes.size() - base;
    std::vector<Tensor> ts;
    std::string meta;
    for (const auto& [name, v] : h.items()) {
        if (name == "__metadata__") {
            if (v.is_object() && v.contains("ahat") && v["ahat"].is_string()) meta = v["ahat"].get<std::string>();
            continue;
        }
        if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets") || !v["dtype"].is_string() ||
            !v["shape"].is_array() || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
            bad(8, fmt::format("tensor '{}': needs dtype, shape and data_offsets [begin, end]", name));
        Tensor t;
        t.name = name;
        std::uint64_t count = 1;
        for (const auto& s : v["shape"]) {
            if (!s.is_number_unsigned() || s.get<std::uint64_t>() > (std::uint64_t(1) << 32)) bad(8, fmt::format("tensor '{}': bad shape", name));
            t.shape.push_back(s.get<std::size_t>());
            count *= s.get<std::uint64_t>();
            if (count > (std::uint64_t(1) << 32)) bad(8, fmt::format("tensor '{}': too many elements", name));
        }
        const std::string dt = v["dtype"];
        const std::size_t width = dt == "F64" ? 8 : dt == "F32" ? 4 : dt == "BF16" || dt == "F16" ? 2 : 0;
        if (!width) bad(8, fmt::format("tensor '{}': dtype {} (F64, F32, BF16 and F16 are read)", name, dt));
        if (!v["data_offsets"][0].is_number_unsigned() || !v["data_offsets"][1].is_number_unsigned())
            bad(8, fmt::format("tensor '{}': bad data_offsets", name));
        const std::uint64_t b = v["data_offsets"][0], e = v["data_offsets"][1];
        if (b > e || e > size || e - b != count * width)
            bad(8, fmt::format("tensor '{}': data_offsets [{}, {}] do not hold {} values of {} bytes in a buffer of {}", name, b, e, count, width, size));
        for (std::uint64_t k = 0; k < count; ++k) {
            const std::size_t at = base + static_cast<std::size_t>(b + k * width);
            const std::uint64_t raw = le(bytes, at, static_cast<int>(width));
            double x = 0;
            if (dt == "F64") x = std::bit_cast<double>(raw);
            else if (dt == "F32") x = std::bit_cast<float>(static_cast<std::uint32_t>(raw));
            else if (dt == "BF16") x = std::bit_cast<float>(static_cast<std::uint32_t>(raw << 16));
            else x = half_to_double(static_cast<std::uint16_t>(raw));
            t.data.push_back(x);
        }
        ts.push_back(std::move(t));
    }
    return {std::move(ts), meta};
}

namespace {

std::string exact_text(double x, std::uint64_t q, const std::string& file, const std::string& name) {
    if (!std::isfinite(x)) throw InputError(SourceLoc{file, 0, 0}, fmt::format("tensor '{}' holds {}: weights must be finite", name, x));
    if (q == 0) return to_string(Rational(x));
    const double scaled = x * static_cast<double>(q);
    if (std::abs(scaled) >= 0x1p62) throw InputError(SourceLoc{file, 0, 0}, fmt::format("tensor '{}': {} times {} does not fit", name, x, q));
    return to_string(Rational(Integer(std::llround(scaled)), Integer(q)));
}

}  // namespace

Encoder import_weights(const std::string& bytes, const std::string& file, std::uint64_t q) {
    const auto [tensors, meta] = read_safetensors(bytes, file);
    if (meta.empty()) throw InputError(SourceLoc{file, 1, 1}, "no \"ahat\" entry in the safetensors __metadata__ (write it with `ahat export` or examples/ahat_torch.py)");
    ojson header;
    try {
        header = ojson::parse(meta);
    } catch (const ojson::parse_error& e) {
        throw InputError(SourceLoc{file, 0, 0}, std::string("the \"ahat\" metadata is not JSON: ") + e.what());
    }
    if (!header.is_object() || header.value("format", "") != "ahat-weights" || !header.contains("skeleton"))
        throw InputError(SourceLoc{file, 0, 0}, "the \"ahat\" metadata is not an ahat-weights header with a skeleton");
    std::map<std::string, const Tensor*> by_name;
    for (const Tensor& t : tensors) by_name[t.name] = &t;
    ojson sk = header["skeleton"];
    std::vector<std::string> alphabet;
    if (sk.contains("input") && sk["input"].contains("alphabet") && sk["input"]["alphabet"].is_array())
        for (const auto& a : sk["input"]["alphabet"])
            if (a.is_string()) alphabet.push_back(a);
    std::function<void(ojson&, const std::string&)> fill = [&](ojson& j, const std::string& key) {
        if (j.is_object() && j.size() == 1 && j.contains("tensor") && j["tensor"].is_string()) {
            const std::string name = j["tensor"];
            const auto it = by_name.find(name);
            if (it == by_name.end()) throw InputError(SourceLoc{file, 0, 0}, fmt::format("the skeleton names tensor '{}', which the file lacks", name));
            const Tensor& t = *it->second;
            auto row = [&](std::size_t r, std::size_t cols) {
                ojson a = ojson::array();
                for (std::size_t c = 0; c < cols; ++c) a.push_back(exact_text(t.data[r * cols + c], q, file, name));
                return a;
            };
            if (t.shape.empty()) j = exact_text(t.data.at(0), q, file, name);
            else if (t.shape.size() == 1) j = row(0, t.shape[0]);
            else if (t.shape.size() == 2 && key == "embedding") {
                if (t.shape[0] != alphabet.size())
                    throw InputError(SourceLoc{file, 0, 0}, fmt::format("tensor '{}' has {} rows for an alphabet of {}", name, t.shape[0], alphabet.size()));
                j = ojson::object();
                for (std::size_t s = 0; s < alphabet.size(); ++s) j[alphabet[s]] = row(s, t.shape[1]);
            } else if (t.shape.size() == 2) {
                j = ojson::array();
                for (std::size_t r = 0; r < t.shape[0]; ++r) j.push_back(row(r, t.shape[1]));
            } else {
                throw InputError(SourceLoc{file, 0, 0}, fmt::format("tensor '{}' has rank {}; weights have rank 0, 1 or 2", name, t.shape.size()));
            }
            return;
        }
        if (j.is_object())
            for (auto& [k, v] : j.items()) fill(v, k);
        else if (j.is_array())
            for (auto& v : j) fill(v, key);
    };
    fill(sk, "");
    try {
        return read_encoder(sk.dump(2), file + " (skeleton with tensors)");
    } catch (const InputError& e) {
        throw InputError(SourceLoc{file, 0, 0}, std::string("the imported encoder is not valid: ") + e.what());
    }
}

}  // namespace ahat::analysis
