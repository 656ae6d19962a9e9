// Weights in and out (src/analysis/weights_io.hpp): export then import gives the same encoder
// (weights with denominators dividing the rounding denominator come back exactly), malformed
// safetensors files are refused at their byte, the .npz archive's structure; and, where
// PyTorch is installed, examples/ahat_torch.py's outputs against the numeric engine and its
// autograd gradients against the sinks backward pass, on the CPU and, where a GPU is usable,
// with the softmax gradients on the GPU (skipped with a message otherwise: CI has no torch). The bundled imported example runs through `ahat import` to the same JSON.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "analysis/random_encoders.hpp"
#include "analysis/sinks.hpp"
#include "analysis/weights_io.hpp"
#include "capture/subjects.hpp"
#include "cli/run_ahat.hpp"
#include "encoder/encoder_json.hpp"
#include "numeric/device.hpp"
#include "numeric/engine.hpp"
#include "test_scale.hpp"

using namespace ahat;
using namespace ahat::analysis;
namespace fs = std::filesystem;

namespace {

bool have_torch() {
    static const bool ok = std::system("python3 -c 'import torch, numpy' >/dev/null 2>&1") == 0;
    return ok;
}

Encoder string_input(Encoder e, std::mt19937_64& rng) {
    e.input.kind = InputSpec::Kind::String;
    e.input.alphabet = {"a", "b"};
    e.input.embedding.assign(2, std::vector<Rational>(e.d, Rational(0)));
    for (auto& row : e.input.embedding)
        for (auto& x : row) x = ahat_test::rat(rng, 2, 4);
    e.input.positional.push_back(PositionalTerm{Feature::IOverN, std::vector<Rational>(e.d, Rational(1, 2))});
    return e;
}

}  // namespace

TEST_CASE("weights: export then import is the same encoder", "[analysis][weights]") {
    std::mt19937_64 rng(31);
    for (int t = 0; t < ahat_test::iterations(100); ++t) {
        Encoder e = ahat_test::random_encoder(rng, true, true);
        if (t % 2) e = string_input(e, rng);
        validate(e);
        const auto [tensors, header] = export_weights(e);
        const std::string bytes = write_safetensors(tensors, header);
        REQUIRE(bytes.size() % 8 == 0);
        // Every weight is p/q with q <= 4: rounding to multiples of 1/12 restores it.
        const Encoder back = import_weights(bytes, "x.safetensors", 12);
        INFO("instance " << t);
        REQUIRE(write_encoder(back) == write_encoder(e));
        const auto [ts2, meta] = read_safetensors(bytes, "x.safetensors");
        REQUIRE(meta == header);
        REQUIRE(ts2.size() == tensors.size());
        const nlohmann::json h = nlohmann::json::parse(header);
        CHECK(h["coordinates"].size() == e.d);
    }
}

TEST_CASE("weights: malformed safetensors files are refused where they break", "[analysis][weights]") {
    std::mt19937_64 rng(32);
    const Encoder e = ahat_test::random_encoder(rng, false, true);
    const auto [tensors, header] = export_weights(e);
    const std::string good = write_safetensors(tensors, header);
    auto message = [](const std::string& bytes) {
        try {
            import_weights(bytes, "m.safetensors", 0);
        } catch (const InputError& err) {
            return std::string(err.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(message(good.substr(0, 5)), Catch::Contains("shorter than"));
    CHECK_THAT(message(good.substr(0, 20)), Catch::Contains("runs past the end"));
    CHECK_THAT(message(good.substr(0, good.size() - 8)), Catch::Contains("data_offsets"));
    std::string broken = good;
    broken[9] = '!';
    CHECK_THAT(message(broken), Catch::Contains("not JSON"));
    CHECK_THAT(message(write_safetensors(tensors, "{}")), Catch::Contains("skeleton"));
    std::vector<Tensor> fewer(tensors.begin(), tensors.end() - 1);
    CHECK_THAT(message(write_safetensors(fewer, header)), Catch::Contains("lacks"));
}

TEST_CASE("weights: mutated safetensors files are imported or refused with InputError, never anything else", "[analysis][weights]") {
    std::mt19937_64 rng(35);
    std::size_t imported = 0, refused = 0;
    for (int t = 0; t < ahat_test::iterations(300); ++t) {
        const Encoder e = ahat_test::random_encoder(rng, true, true);
        const auto [tensors, header] = export_weights(e);
        std::string bytes = write_safetensors(tensors, header);
        // Every fourth instance: one edit of the lowest byte of a stored F64 value (in the data
        // section, after the 8-byte length and the header), which keeps the value finite: the
        // file must import. The others: 1 to 4 random edits anywhere.
        std::uint64_t header_len = 0;
        for (int b = 7; b >= 0; --b) header_len = header_len << 8 | static_cast<unsigned char>(bytes[static_cast<std::size_t>(b)]);
        const std::size_t data = 8 + static_cast<std::size_t>(header_len);
        if (t % 4 == 0 && bytes.size() >= data + 8) {
            const std::size_t at = data + 8 * (rng() % ((bytes.size() - data) / 8));
            bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + rng() % 255));
        }
        const int edits = t % 4 == 0 ? 0 : 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < edits; ++k) {
            const std::size_t at = rng() % bytes.size();
            switch (rng() % 3) {
                case 0: bytes[at] = static_cast<char>(rng() % 256); break;
                case 1: bytes.resize(at); break;
                default: bytes.insert(at, 1, static_cast<char>(rng() % 256)); break;
            }
            if (bytes.empty()) bytes = "x";
        }
        INFO("instance " << t);
        try {
            const Encoder back = import_weights(bytes, "m.safetensors", 1 + rng() % 100);
            validate(back);
            imported += 1;
        } catch (const InputError& err) {
            CHECK(err.loc().file == "m.safetensors");  // located at the file
            refused += 1;
        }
    }
    // Both outcomes occur: edits in the data only change weights, edits elsewhere break it.
    CHECK(imported > 0);
    CHECK(refused > 0);
}

TEST_CASE("weights: the npz archive is a stored zip of .npy files", "[analysis][weights]") {
    std::mt19937_64 rng(33);
    const Encoder e = ahat_test::random_encoder(rng, true, false);
    const auto [tensors, header] = export_weights(e);
    const std::string z = write_npz(tensors, header);
    REQUIRE(z.substr(0, 4) == std::string("PK\x03\x04", 4));
    REQUIRE(z.find(std::string("PK\x05\x06", 4)) == z.size() - 22);
    CHECK(z.find("__metadata__.npy") != std::string::npos);
    if (std::system("python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
        WARN("numpy is not installed: the archive is not loaded back");
        return;
    }
    const fs::path p = ahat_test::scratch() / "w.npz";
    std::ofstream(p, std::ios::binary) << z;
    const std::string cmd = "python3 -c \"import numpy as np, json, sys; z = np.load(sys.argv[1]); "
                            "h = json.loads(bytes(z['__metadata__']).decode()); "
                            "assert h['format'] == 'ahat-weights'; print(len(z.files))\" '" + p.string() + "' > '" + p.string() + ".out'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream in(p.string() + ".out");
    std::size_t files = 0;
    in >> files;
    CHECK(files == tensors.size() + 1);
}

TEST_CASE("weights: PyTorch runs the export like the numeric engine, and its autograd agrees with the backward pass", "[analysis][weights][torch]") {
    if (!have_torch()) {
        WARN("PyTorch is not installed: the PyTorch comparison is skipped");
        return;
    }
    std::mt19937_64 rng(34);
    std::normal_distribution<double> nd;
    double worst_out = 0, worst_grad = 0, worst_gpu = 0;
    const bool gpu = numeric::cuda_device().has_value();
    // Every instance's files first, then one Python run over all of them (torch loads once).
    struct Instance {
        Encoder e;
        Matrix<double> x;
    };
    std::vector<Instance> inst;
    std::string pairs;
    for (int t = 0; t < ahat_test::iterations(200); ++t) {
        Instance in{ahat_test::random_encoder(rng, true, t % 2 == 0), {}};
        const std::size_t n = 1 + rng() % 7;
        in.x = Matrix<double>(n, in.e.d);
        for (auto& v : in.x.data) v = nd(rng);
        const auto [tensors, header] = export_weights(in.e);
        const fs::path model = ahat_test::scratch() / fmt::format("torch_model_{}.safetensors", t);
        const fs::path input = ahat_test::scratch() / fmt::format("torch_input_{}.safetensors", t);
        std::ofstream(model, std::ios::binary) << write_safetensors(tensors, header);
        std::ofstream(input, std::ios::binary) << write_safetensors({Tensor{"x", {n, std::size_t(in.e.d)}, in.x.data}}, "{}");
        pairs += " '" + model.string() + "' '" + input.string() + "'";
        inst.push_back(std::move(in));
    }
    const fs::path out = ahat_test::scratch() / "torch_out.jsonl";
    const std::string cmd = std::string("cd '") + AHAT_SOURCE_DIR + "' && python3 examples/ahat_torch.py grad" + pairs + " > '" + out.string() + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::istringstream lines(ahat_test::slurp(out));
    for (std::size_t t = 0; t < inst.size(); ++t) {
        const Encoder& e = inst[t].e;
        const Matrix<double>& x = inst[t].x;
        const std::size_t n = x.rows;
        std::string line;
        REQUIRE(std::getline(lines, line));
        const nlohmann::json j = nlohmann::json::parse(line);
        INFO("instance " << t);
        // Outputs against the numeric engine (reference order, double).
        const numeric::BatchResult<double> br = numeric::Plan<double>(e).run({x});
        Matrix<double> eng;
        if (e.readout.kind == Readout::Kind::Sequence) eng = br.outputs[0];
        else eng = Matrix<double>(1, 1), eng.at(0, 0) = br.score[0];
        REQUIRE(j["outputs"].size() == eng.rows);
        for (std::size_t i = 0; i < eng.rows; ++i)
            for (std::size_t c = 0; c < eng.cols; ++c) {
                const double a = j["outputs"][i][c], b = eng.at(i, c);
                worst_out = std::max(worst_out, std::abs(a - b) / std::max(1.0, std::abs(b)));
                REQUIRE(std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)));
            }
        // Gradients of the readout's sum against sink_backward; where a GPU is usable, also
        // against the backward pass with the softmax heads' gradients computed on it.
        auto against_autograd = [&](numeric::Device device, double& worst) {
            const Backward<double> bw = sink_backward(e, sink_forward(e, x), SinkLoss::Readout, nullptr, 1e-9, device);
            double gmax = 0;
            for (double g : bw.grad[0].data) gmax = std::max(gmax, std::abs(g));
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t c = 0; c < e.d; ++c) {
                    const double a = j["grad"][i][c], b = bw.grad[0].at(i, c);
                    const double rel = std::abs(a - b) / std::max({std::abs(b), 1e-3 * gmax, 1e-12});
                    worst = std::max(worst, rel);
                    INFO("device " << (device == numeric::Device::Cuda ? "cuda" : "cpu") << ", position " << i << ", coordinate " << c);
                    REQUIRE(rel <= 1e-6);
                }
        };
        against_autograd(numeric::Device::Cpu, worst_grad);
        if (gpu) against_autograd(numeric::Device::Cuda, worst_gpu);
    }
    CHECK(worst_out <= 1e-9);
    CHECK(worst_grad <= 1e-6);
    if (gpu) WARN("PyTorch autograd against the backward pass on the GPU: largest relative difference " << worst_gpu);
    else WARN("no CUDA device: the GPU backward pass was not compared with PyTorch autograd");
}

TEST_CASE("cli export and import: the bundled trained model and a compiled task", "[cli][analysis][weights]") {
    using namespace ahat_test;
    // The bundled example is `ahat import` of the bundled safetensors file at --round 1000.
    const fs::path out = scratch() / "tiny.json";
    Result r = run_ahat("import examples/tiny_prev_token.safetensors -o '" + out.string() + "' --round 1000");
    REQUIRE(r.rc == 0);
    CHECK(slurp(out) == slurp(fs::path(AHAT_SOURCE_DIR) / "examples/tiny_prev_token.json"));
    // It copies the previous token, exactly.
    r = run_ahat("run examples/tiny_prev_token.json --input acbba");
    REQUIRE(r.rc == 0);
    // A compiled task out and back in.
    const fs::path st = scratch() / "sort.safetensors", npz = scratch() / "sort.npz", back = scratch() / "sort.json";
    r = run_ahat("export sort -o '" + st.string() + "' --npz '" + npz.string() + "'");
    REQUIRE(r.rc == 0);
    r = run_ahat("import '" + st.string() + "' -o '" + back.string() + "' --round 0");
    REQUIRE(r.rc == 0);
    const Encoder a = load_encoder(back.string());
    const Encoder b = capture::task_subject("sort", 16).compile().encoder;
    CHECK(a.layers.size() == b.layers.size());
    CHECK(a.d == b.d);
    r = run_ahat("import '" + npz.string() + "' -o -");
    CHECK(r.rc == 2);
    // Any encoder file exports, accept readouts included, and comes back the same.
    const fs::path maj = scratch() / "majority.safetensors", maj_back = scratch() / "majority.json";
    REQUIRE(run_ahat("export examples/majority.json -o '" + maj.string() + "'").rc == 0);
    REQUIRE(run_ahat("import '" + maj.string() + "' -o '" + maj_back.string() + "' --round 1000").rc == 0);
    CHECK(write_encoder(load_encoder(maj_back.string())) == write_encoder(load_encoder(std::string(AHAT_SOURCE_DIR) + "/examples/majority.json")));
}

TEST_CASE("weights: compiled tasks exported and run in PyTorch match the numeric engine: the imported model goes through the analyses", "[cli][analysis][weights][torch]") {
    using namespace ahat_test;
    for (const char* task : {"sort", "histogram", "copy", "induction"}) {
        INFO(task);
        const capture::Subject s = capture::task_subject(task, 16);
        const capture::Model m = s.compile();
        const auto [tensors, header] = export_weights(m.encoder);
        // Export, import exactly (--round 0 keeps the binary value; compiled weights are
        // dyadic here or not, so compare runs rather than text), and the same readout.
        const Encoder back = import_weights(write_safetensors(tensors, header), "t.safetensors", 0);
        std::mt19937_64 rng(5);
        const capture::Sample smp = s.sample(10, rng);
        const Matrix<double> x = convert<double>(m.input(smp.tokens));
        const numeric::BatchResult<double> a = numeric::Plan<double>(m.encoder).run({x});
        const numeric::BatchResult<double> b = numeric::Plan<double>(back).run({x});
        CHECK(a.outputs[0] == b.outputs[0]);
        if (!have_torch()) continue;
        const fs::path p = scratch() / (std::string(task) + ".safetensors"), out = scratch() / (std::string(task) + ".json");
        std::ofstream(p, std::ios::binary) << write_safetensors(tensors, header);
        std::string tokens;
        for (const std::string& t : smp.tokens) tokens += (tokens.empty() ? "" : " ") + t;
        const std::string cmd = std::string("cd '") + AHAT_SOURCE_DIR + "' && python3 examples/ahat_torch.py run '" + p.string() + "' --tokens '" +
                                tokens + "' > '" + out.string() + "'";
        REQUIRE(std::system(cmd.c_str()) == 0);
        const nlohmann::json j = nlohmann::json::parse(slurp(out));
        const Matrix<double>& eng = a.outputs[0];
        REQUIRE(j["outputs"].size() == eng.rows);
        for (std::size_t i = 0; i < eng.rows; ++i)
            for (std::size_t c = 0; c < eng.cols; ++c) REQUIRE(std::abs(double(j["outputs"][i][c]) - eng.at(i, c)) <= 1e-9 * std::max(1.0, std::abs(eng.at(i, c))));
    }
    if (!have_torch()) WARN("PyTorch is not installed: the compiled tasks were not run in PyTorch");
    Result r = run_ahat("sinks examples/tiny_prev_token.json --sizes 8,16 --samples 2 --quiet");
    CHECK(r.rc == 0);
    CHECK_THAT(r.out, Catch::Contains("check exact_gradient: ok"));
    r = run_ahat("sinks examples/tiny_prev_token.json --sizes 8 --samples 1 --as-softmax 4 --quiet");
    CHECK(r.rc == 0);
    CHECK_THAT(r.out, Catch::Contains("check finite_differences: ok"));
    r = run_ahat("cascade examples/tiny_prev_token.json --sizes 8,16 --strict --quiet");
    CHECK(r.rc == 0);
    r = run_ahat("budget examples/tiny_prev_token.json --no-time --quiet");
    CHECK(r.rc == 0);
    CHECK_THAT(r.out, Catch::Contains("check nested: ok"));
}
