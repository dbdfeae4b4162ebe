// Saved models and checkpoints: JSON plus binary float32, in one file.
//
//   bytes 0-7    "CNNMODEL"
//   bytes 8-11   format version, uint32 little-endian (1)
//   bytes 12-15  header length L, uint32 little-endian
//   bytes 16..   the header: L bytes of UTF-8 JSON
//   then         the blob: little-endian float32 values
// In the header every array of 16 or more floating-point numbers is replaced by
// {"$f32": [offset, count]}: count floats at float index `offset` of the blob. Everything else
// (architecture, hyperparameters, counters, short arrays) stays readable JSON. Floats are stored
// bit for bit, so a loaded model gives bit-identical outputs.
//
// A model file's header:
//   {"format": "cnn-model", "version": 1,
//    "architecture": <the model's JSON description>,
//    "params":  {"<layer>.<param>": {"shape": [...], "data": [floats]}, ...},
//    "buffers": {"<layer>.<buffer>": {"shape": [...], "data": [floats]}, ...},
//    ... optional sections: "preprocess", "metrics", "training" (a checkpoint: optimizer state,
//        schedule position, RNG states, epoch/iteration, history) ...}
// Truncated, malformed or mismatched files are refused with a cnn::Error saying what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.h"

namespace cnn {

std::vector<std::uint8_t> encode_bundle(const json& doc);
json decode_bundle(const std::uint8_t* bytes, std::size_t size, const std::string& name = "<memory>");
// Only the header, with the {"$f32": [offset, count]} references left in place (checked against the
// blob's size): cheap, for looking at a file without reading its weights.
json decode_bundle_header(const std::uint8_t* bytes, std::size_t size, const std::string& name = "<memory>");
void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

// The model's architecture, parameters and buffers as a header document (see above).
json model_document(Model& m);
// Builds the model from a document and loads its parameters; every parameter of the architecture
// must be present with the right shape.
Model model_from_document(const json& doc, const std::string& name = "<memory>");
// Copies parameters and buffers from a document into an existing model (names and shapes must match).
void load_state_into(Model& m, const json& doc, const std::string& name = "<memory>");

// A model file's bytes: model_document(m) with the keys of `extra` (an object) added.
std::vector<std::uint8_t> encode_model(Model& m, const json& extra = json::object());
// What a model file holds, without its weights: the header's sections except "params" and
// "buffers"; "training" shortened to {"config", "iteration", "epoch", "status" (Trainer::Status as a
// number), "message", "history"}; plus "has_training" (bool) and "param_count" (from the shapes).
json model_file_info(const std::uint8_t* bytes, std::size_t size, const std::string& name = "<memory>");

void save_model(Model& m, const std::string& path, const json& extra = json::object());
Model load_model(const std::string& path);

}  // namespace cnn
