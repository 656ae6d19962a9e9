// ahat export TASK|PROG.rasp|ENCODER.json -o FILE.safetensors [--npz FILE.npz] [--as-softmax BETA]
//             [--name SOP] [--alphabet A]
// ahat import FILE.safetensors -o ENCODER.json [--round Q]
// Weights out to PyTorch and back (src/analysis/weights_io.hpp, docs/formats.md "Weights
// files"); examples/ahat_torch.py loads an export and runs it.
#include <fmt/format.h>

#include "analysis/weights_io.hpp"
#include "capture/sweep.hpp"
#include "capture/subjects.hpp"
#include "cli/common.hpp"
#include "cli/records.hpp"
#include "encoder/encoder_json.hpp"
#include "numeric/engine.hpp"

namespace ahat::cli {
namespace {

struct ExportArgs {
    std::string subject, out, npz, name, alphabet, as_softmax;
};

struct ImportArgs {
    std::string in, out;
    std::uint64_t round = 1000;
};

int run_export(const ExportArgs& a) {
    if (a.out.empty() && a.npz.empty()) fail(SourceLoc{"-o", 0, 0}, "give -o FILE.safetensors and/or --npz FILE.npz");
    // Any encoder file (vector inputs, accept readouts, softmax heads) as it is; tasks and RASP
    // programs compiled.
    const bool file = a.subject.size() > 5 && a.subject.ends_with(".json");
    if (file && (!a.name.empty() || !a.alphabet.empty())) fail(SourceLoc{"--name", 0, 0}, "--name and --alphabet are for .rasp files");
    Encoder enc = file ? load_encoder(a.subject) : subject_from(a.subject, a.name, a.alphabet, {16}).compile().encoder;
    if (const auto beta = parse_beta(a.as_softmax, "--as-softmax")) enc = numeric::as_softmax(enc, *beta);
    const auto [tensors, header] = analysis::export_weights(enc);
    if (!a.out.empty()) emit(a.out, analysis::write_safetensors(tensors, header));
    if (!a.npz.empty()) emit(a.npz, analysis::write_npz(tensors, header));
    std::size_t values = 0;
    for (const auto& t : tensors) values += t.data.size();
    fmt::print(stderr, "export: {} tensors, {} values, {} coordinates\n", tensors.size(), values, enc.d);
    return 0;
}

int run_import(const ImportArgs& a) {
    const Encoder enc = analysis::import_weights(read_file(a.in), a.in, a.round);
    emit(a.out, write_encoder(enc));
    return 0;
}

}  // namespace

void register_weights(CLI::App& app, Action& action) {
    auto e = std::make_shared<ExportArgs>();
    CLI::App* ex = app.add_subcommand("export", "Write an encoder's weights as safetensors (and .npz) for PyTorch");
    ex->add_option("subject", e->subject, "a task name (docs/tasks.md), a .rasp file or an encoder .json file")->required();
    ex->add_option("-o,--output", e->out, "the safetensors file ('-': standard output)");
    ex->add_option("--npz", e->npz, "also (or only) a NumPy .npz archive");
    ex->add_option("--as-softmax", e->as_softmax, "export average-hard heads as softmax at this beta");
    ex->add_option("--name", e->name, ".rasp files: the SOp to compile (default: the last named)");
    ex->add_option("--alphabet", e->alphabet, ".rasp files: the token vocabulary, 'abc' or '0 1 2'");
    ex->callback([e, &action] { action = [e] { return run_export(*e); }; });
    auto i = std::make_shared<ImportArgs>();
    CLI::App* im = app.add_subcommand("import", "Read a safetensors file with an ahat header into an exact encoder JSON");
    im->add_option("file", i->in, "the safetensors file")->required();
    im->add_option("-o,--output", i->out, "the encoder JSON ('-': standard output)")->required();
    add_number(im, "--round", i->round, "round every weight to a multiple of 1/Q (0: the float's exact binary value)", 0, std::uint64_t(1) << 40);
    im->callback([i, &action] { action = [i] { return run_import(*i); }; });
}

}  // namespace ahat::cli
