// Human output in the manner of nccl-tests: a header row and a units row per table, one row per
// measurement, comment lines starting with '#', and the average bus bandwidth under a collective
// table. Machine output is the results file; these tables are for people watching a run.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "calibration/measurement.h"
#include "calibration/measurement_sink.h"

namespace ptsim {

// Header and units rows of a section's table.
std::vector<std::string> table_header(Section section);
// One table row.
std::string table_row(const Measurement& m);

class TablePrinter {
 public:
  explicit TablePrinter(std::ostream& out) : out_(out) {}
  void begin(Section section, const std::vector<std::string>& notes);
  void row(const Measurement& m);
  void note(const std::string& line);
  void end();

 private:
  std::ostream& out_;
  bool in_collectives_ = false;
  double busbw_sum_ = 0;
  int busbw_rows_ = 0;
};

}  // namespace ptsim
