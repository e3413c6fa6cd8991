#include "planner/csv_table.h"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>

#include "common/check.h"

namespace ptsim {
namespace {

void check_shape(const Table& table) {
  PTSIM_CHECK(!table.header.empty(), "a table needs at least one column");
  PTSIM_CHECK(table.units.empty() || table.units.size() == table.header.size(),
              "a table's units row must have one entry per column");
  for (const auto& row : table.rows) {
    PTSIM_CHECK(row.size() == table.header.size(), "a table row must have one cell per column");
  }
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Cell text on one line: tabs and line breaks would break the alignment.
std::string one_line(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\t' || c == '\r' || c == '\n'; }, ' ');
  return s;
}

// UTF-8 characters, so that "µs" is two columns wide, not three.
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool reads_as_number(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string pad(const std::string& s, std::size_t w, bool right) {
  const std::string fill(w - std::min(w, width(s)), ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

std::string to_csv(const Table& table) {
  check_shape(table);
  std::string out;
  const auto append_line = [&out](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_field(cells[i]);
    }
    out += "\r\n";
  };
  std::vector<std::string> names = table.header;
  for (std::size_t i = 0; i < table.units.size(); ++i) {
    if (!table.units[i].empty()) names[i] += " (" + table.units[i] + ")";
  }
  append_line(names);
  for (const auto& row : table.rows)
    append_line(row);
  return out;
}

std::string to_text(const Table& table) {
  check_shape(table);
  const std::size_t n = table.header.size();
  std::vector<std::string> header, units;
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : table.header)
    header.push_back(one_line(h));
  for (const auto& u : table.units) {
    // Appended piecewise: GCC 12 misreports `"(" + s + ")"` under -Wrestrict.
    std::string shown;
    if (!u.empty()) shown.append("(").append(one_line(u)).append(")");
    units.push_back(std::move(shown));
  }
  for (const auto& row : table.rows) {
    auto& cells = rows.emplace_back();
    for (const auto& c : row)
      cells.push_back(one_line(c));
  }

  std::vector<std::size_t> widths(n, 0);
  std::vector<bool> numeric(n, true);
  for (std::size_t i = 0; i < n; ++i) {
    widths[i] = width(header[i]);
    if (!units.empty()) widths[i] = std::max(widths[i], width(units[i]));
    for (const auto& cells : rows) {
      widths[i] = std::max(widths[i], width(cells[i]));
      if (!cells[i].empty() && !reads_as_number(cells[i])) numeric[i] = false;
    }
  }

  std::string out;
  const auto append_line = [&](std::string_view prefix, const std::vector<std::string>& cells) {
    std::string line(prefix);
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) line += "  ";
      line += pad(cells[i], widths[i], numeric[i]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  };
  append_line("# ", header);
  if (!units.empty()) append_line("# ", units);
  for (const auto& cells : rows)
    append_line("  ", cells);
  return out;
}

}  // namespace ptsim
