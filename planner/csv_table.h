// Tables of results in two forms: RFC 4180 CSV for machines and an aligned text table for people.
// Cells are already-formatted strings; choosing units and precision is the caller's job.
//
// The text form follows nccl-tests: a header row and a units row, both starting with "#", then
// one line per row, columns separated by two spaces. Validated by
// tests/planner_output/csv_table_test.cc.
#pragma once

#include <string>
#include <vector>

namespace ptsim {

struct Table {
  std::vector<std::string> header;  // column names, e.g. "time_to_train"
  std::vector<std::string> units;   // empty, or one per column ("" for a unitless column)
  std::vector<std::vector<std::string>> rows;  // each exactly header.size() cells
};

// RFC 4180: CRLF line ends; a field is quoted when it holds a comma, a double quote, CR or LF, and
// a double quote inside it is doubled. One header line; a column with a unit is named
// "name (unit)", so that the file stays one header row plus data for spreadsheet and pandas.
std::string to_csv(const Table& table);

// Aligned text: "# " + header, "# " + units in parentheses, then rows indented by two spaces so
// that they line up under the header. Columns whose cells all read as numbers are right-aligned,
// others left-aligned. Width counts UTF-8 characters; tabs and line breaks in a cell become
// spaces. No trailing spaces.
std::string to_text(const Table& table);

}  // namespace ptsim
