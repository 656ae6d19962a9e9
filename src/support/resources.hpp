// The files ahat needs at run time (the task library's RASP programs, the bundled circuits and
// example encoders), found through one lookup so that the binary runs away from its source
// tree: they are embedded at build time (cmake/embed_resources.cmake writes them into a
// generated source of this module), and a directory given by the user or by $AHAT_ROOT
// replaces the embedded copies.
//
// Offers:
//   bundled(path, root)   the text of `path` ("rasp/sort.rasp", "circuits/demo.circ",
//                         "examples/majority.json"): root/path when root is not empty, else
//                         $AHAT_ROOT/path when AHAT_ROOT is set, else the embedded copy;
//                         InputError naming the path when there is none.
//   bundled_name(path, root)   the name errors and readers use for it: the file's path, or
//                         "<bundled>/path" for the embedded copy.
//   bundled_paths()       every embedded path, sorted.
#pragma once

#include <string>
#include <vector>

namespace ahat {

std::string bundled(const std::string& path, const std::string& root = "");
std::string bundled_name(const std::string& path, const std::string& root = "");
std::vector<std::string> bundled_paths();

}  // namespace ahat
