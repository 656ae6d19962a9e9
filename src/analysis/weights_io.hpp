// Weights in and out: an encoder as safetensors (and .npz) for PyTorch, and a safetensors file
// of the same shape back into an exact encoder (docs/formats.md, "Weights files").
//
// Offers:
//   Tensor              a name, a shape and float64 values, row-major.
//   coordinate_names(enc)   a name for every coordinate from what touches it: "c4:readout1",
//                       "c2:pos:i", "c0:token:a", "c7:L0H1" (the first head output writing it),
//                       "c9:ffn0" (the first feed-forward part writing it), else "c5".
//   export_weights(enc) the tensors and the header: a JSON document with "format"
//                       ("ahat-weights"), "version" 1, "coordinates", "heads" (layer, head,
//                       name, rule, mask, window, beta), "circuits" (per feed-forward part its
//                       gates as [op, operands, value] for tensor code) and "skeleton": the
//                       encoder's JSON (encoder_json.hpp) with every weight matrix and vector
//                       replaced by {"tensor": NAME}.
//   write_safetensors(tensors, header)  the safetensors bytes: 8-byte little-endian header
//                       length, the JSON header (dtype F64, shape, data_offsets, and
//                       "__metadata__": {"ahat": header}), padded with spaces to a multiple
//                       of 8, then the little-endian data.
//   write_npz(tensors, header)   a stored (uncompressed) zip of NAME.npy files (little-endian
//                       float64, C order) and __metadata__.npy (the header as uint8).
//   read_safetensors(bytes, file)  tensors (F64, F32, BF16, F16 converted to double) and the
//                       metadata; InputError at file:1:col (col = byte offset + 1) for a
//                       malformed file.
//   import_weights(bytes, file, denominator)  an Encoder: the skeleton of the file's "ahat"
//                       metadata with every {"tensor": NAME} replaced by that tensor's values,
//                       each rounded to the nearest multiple of 1/denominator (ties away from
//                       zero), or taken exactly (the float's binary value) when denominator is
//                       0; then read and validated as an encoder JSON (InputError naming the
//                       file and the part).
// Cost: O(weights) time and memory.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "encoder/encoder.hpp"

namespace ahat::analysis {

struct Tensor {
    std::string name;
    std::vector<std::size_t> shape;
    std::vector<double> data;
};

std::vector<std::string> coordinate_names(const Encoder& enc);
std::pair<std::vector<Tensor>, std::string> export_weights(const Encoder& enc);
std::string write_safetensors(const std::vector<Tensor>& tensors, const std::string& header);
std::string write_npz(const std::vector<Tensor>& tensors, const std::string& header);
std::pair<std::vector<Tensor>, std::string> read_safetensors(const std::string& bytes, const std::string& file);
Encoder import_weights(const std::string& bytes, const std::string& file, std::uint64_t denominator);

}  // namespace ahat::analysis
