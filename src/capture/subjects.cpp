#include "capture/subjects.hpp"

#include <memory>

#include "rasp/compile.hpp"
#include "rasp/eval.hpp"
#include "rasp/reader.hpp"

namespace ahat::capture {

using rasp::Value;

// A token as the compiled encoder's alphabet spells it.
std::string token_text(const rasp::Value& v) {
    if (v.is_string()) return std::get<std::string>(v.v);
    if (v.is_number()) return to_string(std::get<Rational>(v.v));
    if (v.is_bool()) return std::get<bool>(v.v) ? "True" : "False";
    return "None";
}

std::vector<std::string> texts(const std::vector<rasp::Value>& vs, bool as_tokens) {
    std::vector<std::string> out;
    out.reserve(vs.size());
    for (const Value& v : vs) out.push_back(as_tokens ? token_text(v) : rasp::format_value(v));
    return out;
}

std::uint32_t named_sop(const rasp::Program& prog, const std::string& name, const std::string& where) {
    for (auto it = prog.named.rbegin(); it != prog.named.rend(); ++it)
        if ((name.empty() || it->name == name) && it->ref.kind == rasp::Ref::Kind::Sop) return it->ref.id;
    if (name.empty()) fail(SourceLoc{where, 0, 0}, "the program names no SOp");
    fail(SourceLoc{where, 0, 0}, "the program names no SOp '{}'", name);
}

static Matrix<float> convert_bf16(const Matrix<bfloat16>& m) {
    Matrix<float> out(m.rows, m.cols);
    for (std::size_t k = 0; k < m.data.size(); ++k) out.data[k] = static_cast<float>(m.data[k]);
    return out;
}

Model compiled_model(const std::shared_ptr<const rasp::Program>& prog, const rasp::CompileOptions& co) {
    auto c = std::make_shared<const rasp::Compiled>(rasp::compile(*prog, co));
    Model m;
    m.encoder = c->encoder;
    m.input = [c](const std::vector<std::string>& tokens) { return embed(c->encoder, tokens); };
    m.decode = [c](const AnyMatrix& out) {
        return std::visit(
            [&](const auto& x) {
                using M = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<M, Matrix<bfloat16>>) return texts(rasp::decode(*c, convert_bf16(x)), false);
                else return texts(rasp::decode(*c, x), false);
            },
            out);
    };
    return m;
}

Subject rasp_subject(const std::string& path, const std::string& name, const std::vector<std::string>& alphabet) {
    auto prog = std::make_shared<const rasp::Program>(rasp::load_rasp(path));
    const std::uint32_t id = named_sop(*prog, name, path);
    if (alphabet.empty()) fail(SourceLoc{"--alphabet", 0, 0}, "a .rasp file needs --alphabet (the tokens to draw)");
    std::vector<Value> symbols;
    for (const std::string& a : alphabet) {
        if (prog->tokens == rasp::Program::TokenKind::String) {
            symbols.push_back(Value{a});
        } else {
            ParseFailure why;
            auto v = parse_rational(a, &why);
            if (!v || !is_integer(*v)) fail(SourceLoc{"--alphabet", 0, 0}, "integer tokens expected, got '{}'", a);
            symbols.push_back(Value{*v});
        }
    }
    Subject s;
    s.name = name.empty() ? prog->named.empty() ? path : prog->named.back().name : name;
    s.compile = [prog, name, alphabet] { return compiled_model(prog, rasp::CompileOptions{name, alphabet}); };
    s.sample = [prog, id, symbols](std::size_t n, std::mt19937_64& rng) {
        std::vector<Value> tokens;
        for (std::size_t i = 0; i < n; ++i) tokens.push_back(symbols[rng() % symbols.size()]);
        return Sample{texts(tokens, true), texts(rasp::evaluate(*prog, tokens).sops[id], false)};
    };
    return s;
}

}  // namespace ahat::capture
