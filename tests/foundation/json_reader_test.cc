#include "common/json_reader.h"

#include <gtest/gtest.h>

namespace ptsim {
namespace {

TEST(UnitJson, ParseErrorNamesLineAndColumn) {
  auto r = parse_json("{\n  \"a\": 1,\n  \"b\": ]\n}", "f.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().source, "f.json");
  EXPECT_EQ(r.error().field, "line 3, column 8");
}

TEST(UnitJson, StrictObjectRejectsUnknownAndMissingKeys) {
  Json j = Json::parse(R"({"a": 1, "b": {"c": -2, "d~/": 3}})");
  auto missing = catch_input_errors([&] {
    StrictObject o(j, "x.json", "");
    return o.number("z");
  });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().one_line(), "x.json: /z: missing required key");

  auto unknown = catch_input_errors([&] {
    StrictObject o(j, "x.json", "");
    o.number("a");
    StrictObject b = o.object("b");
    b.number("c");
    b.reject_unknown_keys();
    return 0;
  });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "/b/d~0~1");

  auto negative = catch_input_errors([&] {
    StrictObject o(j, "x.json", "");
    return o.object("b").positive_number("c");
  });
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().field, "/b/c");
}

}  // namespace
}  // namespace ptsim
