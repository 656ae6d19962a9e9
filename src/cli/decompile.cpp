// PLACEHOLDER: being written; replaced before this lands.
#include "cli/common.hpp"
namespace ahat::cli {
void register_decompile(CLI::App&, Action&) {}
}  // namespace ahat::cli
