// Evaluates a two-gate circuit exactly and loads the task library's sort program from the
// copies embedded in the library (no source tree needed); prints "ok" when both are right.
#include <iostream>

#include "circuit/circ_io.hpp"
#include "circuit/eval.hpp"
#include "rasp/eval.hpp"
#include "tasks/tasks.hpp"

int main() {
    using namespace ahat;
    const Circuit c = read_circuit("input x y\ng = mul x y\ns = add g x\noutput s\n", "consumer.circ");
    const auto out = evaluate<Rational>(c, {Rational(3), Rational(1, 2)});
    const tasks::Task* sort = tasks::find_task("sort");
    const rasp::Program prog = tasks::load_program(*sort);
    const bool ok = out.size() == 1 && out[0] == Rational(9, 2) && !prog.named.empty();
    std::cout << (ok ? "ok" : "wrong") << "\n";
    return ok ? 0 : 1;
}
