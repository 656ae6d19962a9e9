// PLACEHOLDER: being written; replaced before this lands.
#include "cli/common.hpp"
namespace ahat::cli {
void register_compile(CLI::App&, Action&) {}
}  // namespace ahat::cli
