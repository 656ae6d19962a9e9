// The ahat program: the command line of main.cpp.
#include "cli/common.hpp"

int main(int argc, char** argv) { return ahat::cli::cli_main(argc, argv); }
