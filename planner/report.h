// The planner's human report: what was planned for (model, cluster, defaults, what was searched
// and what pinned), the ranked table, and what the search did. Tables follow csv_table.h's text
// form (a header row and a units row, both starting with "#").
//
// Table columns: rank, layout (tp pp[xvpp] dp [cp] [ep] micro-batch zero recompute schedule), step
// time, tokens/s, MFU, peak memory per GPU and its share of capacity, what limits the step, and a
// time bar. "Limit" names the largest loss: memory when the peak is within 5% of capacity (the
// configuration cannot grow its micro-batch or drop recomputation), otherwise the largest of
// pipeline bubble and exposed communication per dimension (tp, cp, dp, pp, ep), with its share of
// the step, or "compute" when none of them takes 1 % of it. The bar splits the step into kBarCells
// cells by largest remainder: C compute, O optimizer, T/X/D/P/E exposed tp/cp/dp/pp/ep
// communication, B bubble.
#pragma once

#include <string>

#include "planner/csv_table.h"
#include "planner/search.h"

namespace ptsim {

inline constexpr int kBarCells = 20;

std::string report_header(const PlannerInputs& in);
Table ranked_table(const SearchResult& result, const PlannerInputs& in, int top);
std::string search_summary(const SearchStats& stats);
std::string bar_legend();

// Pieces, public for tests.
std::string time_bar(const StepResult& r, int cells);
std::string step_limiter(const StepResult& r);

}  // namespace ptsim
