#include <gtest/gtest.h>

#include "util/strings.hpp"

using namespace lifeboat;

TEST(Strings, RedactsPasswordsInUrls) {
  EXPECT_EQ(redact_url("postgres://app:s3cret@db.example.com:5432/app?sslmode=require"),
            "postgres://app:***@db.example.com:5432/app?sslmode=require");
  EXPECT_EQ(redact_url("cloudinary://123:abcSECRET@cloud/prefix"), "cloudinary://123:***@cloud/prefix");
  EXPECT_EQ(redact_url("postgres://app@db/app"), "postgres://app@db/app");
  EXPECT_EQ(redact_url("host=db user=app password=s3cret dbname=app"),
            "host=db user=app password=*** dbname=app");
  EXPECT_EQ(redact_url("./backups"), "./backups");
  EXPECT_EQ(redact_url("postgres://u:p%40ss@h/d"), "postgres://u:***@h/d");
}

TEST(Strings, FormatsBytesAndJson) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3ULL << 30), "3.0 GiB");
  EXPECT_EQ(json_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(Strings, QuotesSql) {
  EXPECT_EQ(sql_quote("orders", '"'), "\"orders\"");
  EXPECT_EQ(sql_quote("we\"ird", '"'), "\"we\"\"ird\"");
  EXPECT_EQ(sql_quote("it's", '\''), "'it''s'");
}
