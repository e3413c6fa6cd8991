// CSV as RFC 4180 defines it, checked against hand-written expected text and against an
// independent reader; the aligned text table, checked against a table laid out by hand.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "planner/csv_table.h"

namespace ptsim {
namespace {

// An RFC 4180 reader (section 2, rules 1-7) written for this test from the grammar, independent of
// to_csv: records end in CRLF, fields are separated by commas, a quoted field may hold commas,
// CR, LF and doubled quotes.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      record.push_back(field);
      field.clear();
      records.push_back(record);
      record.clear();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_TRUE(record.empty() && field.empty()) << "CSV must end with CRLF";
  return records;
}

TEST(UnitCsv, FieldsAreQuotedOnlyWhenRfc4180RequiresIt) {
  Table t;
  t.header = {"name", "value"};
  t.rows = {{"plain", "1.5"}, {"a,b", "say \"hi\""}, {"two\nlines", "cr\ronly"}, {"", " spaced "}};
  // RFC 4180 2.6: fields with comma, quote, CR or LF are enclosed in quotes; 2.7: an inner quote
  // is doubled; 2.1: CRLF ends each record. Spaces are part of a field and need no quotes (2.4).
  EXPECT_EQ(to_csv(t),
            "name,value\r\n"
            "plain,1.5\r\n"
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
            "\"two\nlines\",\"cr\ronly\"\r\n"
            ", spaced \r\n");
}

TEST(UnitCsv, UnitsJoinTheHeaderName) {
  Table t;
  t.header = {"gpus", "gpu", "time_to_train"};
  t.units = {"", "", "days"};
  t.rows = {{"512", "h100-sxm", "61"}};
  EXPECT_EQ(to_csv(t), "gpus,gpu,time_to_train (days)\r\n512,h100-sxm,61\r\n");
}

TEST(PropertyCsv, AnIndependentReaderGetsBackEveryCell) {
  // Every combination of the characters that matter, in every position of a field.
  const std::vector<std::string> atoms = {"a", ",", "\"", "\n", "\r", " ", "\"\"", "\r\n", ""};
  Table t;
  t.header = {"x", "y,z", "q\"uote"};
  for (const auto& a : atoms) {
    for (const auto& b : atoms) {
      t.rows.push_back({a + b, b + "mid" + a, a + b + a});
    }
  }
  const auto records = read_csv(to_csv(t));
  ASSERT_EQ(records.size(), t.rows.size() + 1);
  EXPECT_EQ(records[0], t.header);
  for (std::size_t i = 0; i < t.rows.size(); ++i)
    EXPECT_EQ(records[i + 1], t.rows[i]) << i;
}

TEST(UnitTextTable, HeaderAndUnitsRowsAlignWithTheData) {
  Table t;
  t.header = {"gpus", "gpu", "tokens_per_s", "time_to_train"};
  t.units = {"", "", "tok/s", "days"};
  t.rows = {{"8", "h100-sxm", "1.2e5", "1450.2"}, {"16384", "b200", "2.6e8", "0.9"}};
  // Laid out by hand: widths 5, 8, 12, 13; numeric columns right-aligned, the GPU names left;
  // "# " before header and units, two spaces before data, two spaces between columns.
  EXPECT_EQ(to_text(t),
            "#  gpus  gpu       tokens_per_s  time_to_train\n"
            "#                       (tok/s)         (days)\n"
            "      8  h100-sxm         1.2e5         1450.2\n"
            "  16384  b200             2.6e8            0.9\n");
}

TEST(UnitTextTable, NoUnitsRowWhenNoUnitsAndNoTrailingSpaces) {
  Table t;
  t.header = {"config", "verdict"};
  t.rows = {{"tp8 pp4", "ok"}, {"tp16", ""}};
  EXPECT_EQ(to_text(t),
            "# config   verdict\n"
            "  tp8 pp4  ok\n"
            "  tp16\n");
}

TEST(UnitTextTable, WidthCountsCharactersAndCellsStayOnOneLine) {
  Table t;
  t.header = {"op", "time"};
  t.units = {"", "µs"};
  t.rows = {{"all\nreduce", "12"}, {"gemm\tbf16", "3.5"}};
  // "(µs)" is four characters wide (five bytes); the line break and tab become spaces.
  EXPECT_EQ(to_text(t),
            "# op          time\n"
            "#             (µs)\n"
            "  all reduce    12\n"
            "  gemm bf16    3.5\n");
}

}  // namespace
}  // namespace ptsim
