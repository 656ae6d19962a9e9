// The RASP compiler: one SOp of a Program -> an AHAT encoder (encoder.hpp) whose weights do
// not depend on the input length. The scheme and its proof: proofs/rasp-compile.md.
//
// Offers:
//   Compiled            the encoder plus how to read a RASP value back from its outputs.
//   compile(prog, opts) compiles the SOp opts.name (the last named SOp when empty) for the
//                       token vocabulary opts.alphabet (string tokens; ignored for integer
//                       tokens, which are numeric).
//                       InputError naming the construct, at its location, where a construct
//                       has no exact compilation in the model (and why).
//   compile_joint(prog, alphabet, ids)   the SOps ids in one encoder: one builder (which
//                       memoises every SOp and selector) compiles them in turn by the code
//                       compile() runs for each alone, then shares; Joint::coordinates[k] are
//                       SOp ids[k]'s readout coordinates in the final state (the encoder's own
//                       readout is ids[0]'s). Proof: proofs/rasp-compile.md, "The joint encoder".
//   survey(prog, alphabet, words, opts)   compiles the SOp of every assignment (each distinct
//                       SOp once) and runs each encoder exactly beside the evaluator on every
//                       word the evaluator accepts: counts by name (last assignment) and by
//                       assignment, refusals (located reasons), disagreements (in word order,
//                       then SOp order). O(#SOps * (compile + #words * run)), shared out over
//                       opts.threads threads (SOps while compiling, then words); the result
//                       does not depend on the number of threads. With opts.joint the words
//                       run once each on compile_joint() of the compiled SOps instead:
//                       O(#SOps * compile + #words * joint run).
//   survey_words(alphabet, all_up_to, random_count, random_max_len, seed)   every word of
//                       length <= all_up_to, then random words of length <= random_max_len.
//   decode(c, outputs)  the RASP values at the input positions (the beginning-of-sequence
//                       row, where the encoder has one, is dropped). Exact outputs decode
//                       exactly or throw; numeric outputs decode to the nearest admissible
//                       value (one-hot: the largest coordinate; integers: rounded).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "encoder/encoder.hpp"
#include "exact/linalg.hpp"
#include "rasp/program.hpp"

namespace ahat::rasp {

struct Compiled {
    Encoder encoder;
    std::string name;                       // the compiled SOp's name
    enum class Kind { Categorical, Integer, Rational } kind = Kind::Categorical;
    std::vector<Value> values;              // Categorical: the value of each readout coordinate
    bool bos = false;                       // the encoder prepends a BOS token
};

struct CompileOptions {
    std::string name;
    std::vector<std::string> alphabet;
    std::optional<std::uint32_t> id;  // compile this SOp node instead of the name's last assignment
};

Compiled compile(const Program& prog, const CompileOptions& opts);

struct Joint {
    Encoder encoder;
    std::vector<Compiled> sops;                          // each SOp's name, kind and values (no encoder)
    std::vector<std::vector<std::uint32_t>> coordinates;  // each SOp's readout coordinates
};

Joint compile_joint(const Program& prog, const std::vector<std::string>& alphabet,
                    const std::vector<std::uint32_t>& ids);

struct Survey {
    std::size_t sops = 0, compiled = 0;  // named SOps (each name's last assignment), and those that compile
    // Every SOp assignment the program executes (loop iterations and reassignments each count),
    // and those whose SOp compiles; each distinct SOp is compiled and checked once.
    std::size_t assignments = 0, assignments_compiled = 0;
    std::size_t words = 0, checked = 0;  // words the evaluator accepts; (SOp, word) pairs run
    std::vector<std::pair<std::string, std::string>> refused;  // name, "file:line:col: why"
    std::vector<std::string> disagreements;
    std::size_t joint_layers = 0, joint_heads = 0, joint_width = 0;  // SurveyOptions::joint: its encoder
};

struct SurveyOptions {
    int threads = 0;  // 0: every core (or OMP_NUM_THREADS)
    bool joint = false;  // check the words on one joint encoder (compile_joint) of every compiled SOp
    // Called before each chunk of words (at most 50 chunks), on the calling thread: the
    // chunk's number, the number of chunks, and the chunk's words [first, end).
    std::function<void(std::size_t chunk, std::size_t chunks, std::size_t first, std::size_t end)> on_chunk;
};

Survey survey(const Program& prog, const std::vector<std::string>& alphabet,
              const std::vector<std::vector<std::string>>& words, const SurveyOptions& opts = {});
std::vector<std::vector<std::string>> survey_words(const std::vector<std::string>& alphabet, std::size_t all_up_to,
                                                   std::size_t random_count, std::size_t random_max_len,
                                                   std::uint32_t seed);

template <class S>
std::vector<Value> decode(const Compiled& c, const Matrix<S>& outputs);

}  // namespace ahat::rasp
