#include <gtest/gtest.h>

#include "core/inventory.hpp"

using namespace lifeboat::core;
using Kind = Difference::Kind;

TEST(Inventory, OrdersBySchemaThenTableWhateverTheOrderOfAdding) {
  Inventory a;
  a.add({"public", "orders", 5});
  a.add({"a.b", "c", 3});
  a.add({"a", "b.c", 2});
  a.add({"public", "a.b", 1});
  a.add({"public", "日本", 7});
  Inventory b{{"public", "日本", 7},
              {"public", "a.b", 1},
              {"a", "b.c", 2},
              {"a.b", "c", 3},
              {"public", "orders", 5}};
  EXPECT_EQ(a, b);
  std::vector<TableCount> want{{"a", "b.c", 2},
                               {"a.b", "c", 3},
                               {"public", "a.b", 1},
                               {"public", "orders", 5},
                               {"public", "日本", 7}};
  EXPECT_EQ(a.tables(), want);
  EXPECT_EQ(a.size(), 5u);
  EXPECT_EQ(a.total_rows(), 18u);
}

TEST(Inventory, NamesWithDotsAreDistinctTables) {
  Inventory i{{"a.b", "c", 1}, {"a", "b.c", 2}, {"main", "main.x", 3}, {"main", "x", 4}};
  EXPECT_EQ(i.size(), 4u);
  ASSERT_NE(i.find("a.b", "c"), nullptr);
  EXPECT_EQ(i.find("a.b", "c")->rows, 1u);
  EXPECT_EQ(i.find("a", "b.c")->rows, 2u);
  EXPECT_EQ(i.find("main", "main.x")->rows, 3u);
  EXPECT_EQ(i.find("main", "x")->rows, 4u);
  EXPECT_EQ(i.find("a", "b"), nullptr);
  EXPECT_EQ(i.find("", "a.b.c"), nullptr);
}

TEST(Inventory, ATableAddedTwiceCountsOnceWithTheSum) {
  Inventory i;
  i.add({"public", "events", 3});
  i.add({"public", "events", 4});
  EXPECT_EQ(i, (Inventory{{"public", "events", 7}}));
}

TEST(Inventory, CompareNamesEveryDifference) {
  Inventory expected{{"public", "orders", 5000},
                     {"public", "customers", 100},
                     {"a.b", "c", 3},
                     {"public", "same", 9},
                     {"public", "gone", 1}};
  Inventory found{{"public", "orders", 4999},
                  {"public", "customers", 100},
                  {"a", "b.c", 3},
                  {"public", "same", 9},
                  {"public", "audit", 12}};
  auto diffs = compare(expected, found);
  std::vector<Difference> want{
      {.kind = Kind::extra, .schema = "a", .table = "b.c", .found_rows = 3},
      {.kind = Kind::missing, .schema = "a.b", .table = "c", .expected_rows = 3},
      {.kind = Kind::extra, .schema = "public", .table = "audit", .found_rows = 12},
      {.kind = Kind::missing, .schema = "public", .table = "gone", .expected_rows = 1},
      {.kind = Kind::rows,
       .schema = "public",
       .table = "orders",
       .expected_rows = 5000,
       .found_rows = 4999},
  };
  EXPECT_EQ(diffs, want);
  EXPECT_EQ(describe(diffs), "table \"a\".\"b.c\" is not expected (found 3 rows); "
                             "table \"a.b\".\"c\" is missing (expected 3 rows); "
                             "table \"public\".\"audit\" is not expected (found 12 rows); "
                             "table \"public\".\"gone\" is missing (expected 1 row); "
                             "table \"public\".\"orders\" has 4999 rows, expected 5000");
  EXPECT_TRUE(compare(expected, expected).empty());
  EXPECT_TRUE(compare({}, {}).empty());
  EXPECT_EQ(compare({}, {{"main", "x", 1}}).size(), 1u);
  EXPECT_EQ(compare({{"main", "x", 0}}, {}),
            (std::vector<Difference>{{.kind = Kind::missing, .schema = "main", .table = "x"}}));
}

TEST(Inventory, ZeroAndOneRowsAreDifferences) {
  auto diffs = compare({{"main", "t", 0}}, {{"main", "t", 1}});
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(describe(diffs[0]), "table \"main\".\"t\" has 1 row, expected 0");
}

TEST(Inventory, QuotesNamesUnambiguously) {
  EXPECT_EQ(quote_name("a.b", "c"), "\"a.b\".\"c\"");
  EXPECT_EQ(quote_name("a", "b.c"), "\"a\".\"b.c\"");
  EXPECT_EQ(quote_name("we\"ird", "t"), "\"we\"\"ird\".\"t\"");
  EXPECT_EQ(quote_name("main", "a\"b"), "\"main\".\"a\"\"b\"");
  EXPECT_EQ(quote_name("", "t"), "\"t\"");
  EXPECT_EQ(quote_name("日本", "表 (1)"), "\"日本\".\"表 (1)\"");
}

TEST(Inventory, MessagesAreCappedTheListIsNot) {
  Inventory expected;
  for (int i = 0; i < 13; ++i) {
    expected.add({"public", "t" + std::to_string(10 + i), 1});
  }
  auto diffs = compare(expected, {});
  ASSERT_EQ(diffs.size(), 13u);
  std::string text = describe(diffs);
  EXPECT_TRUE(text.starts_with("table \"public\".\"t10\" is missing (expected 1 row); ")) << text;
  EXPECT_TRUE(text.ends_with("table \"public\".\"t19\" is missing (expected 1 row); and 3 more "
                             "differences"))
      << text;
  EXPECT_EQ(text.find("t20"), std::string::npos);
  std::vector<Difference> eleven(diffs.begin(), diffs.begin() + 11);
  EXPECT_TRUE(describe(eleven).ends_with("; and 1 more difference"));
  EXPECT_EQ(describe(diffs, 0), "and 13 more differences");
  EXPECT_EQ(describe(std::vector<Difference>{}), "");
}
