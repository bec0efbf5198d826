#include <gtest/gtest.h>

#include "source/postgres/postgres.hpp"

using namespace lifeboat;
using namespace lifeboat::source::postgres;

TEST(PostgresConnection, SplitsThePasswordOffUrls) {
  auto c = parse_connection("postgres://app:p%40ss%3Aw0rd@db.example.com:5432/shop?sslmode=require");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->conninfo, "postgres://app@db.example.com:5432/shop?sslmode=require");
  EXPECT_EQ(c->password.reveal(), "p@ss:w0rd");
  EXPECT_EQ(c->dbname, "shop");
  EXPECT_EQ(c->display, "postgres://app:***@db.example.com:5432/shop?sslmode=require");

  auto n = parse_connection("postgresql://app@localhost/db");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->password.empty());
  EXPECT_EQ(n->conninfo, "postgresql://app@localhost/db");
  EXPECT_EQ(n->display, "postgresql://app@localhost/db");

  auto h = parse_connection("postgres://localhost");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->dbname, "");
}

TEST(PostgresConnection, KeywordStrings) {
  auto c = parse_connection("host=db port=5433 user=app password='it\\'s secret' dbname=shop sslmode=require");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->password.reveal(), "it's secret");
  EXPECT_EQ(c->dbname, "shop");
  EXPECT_EQ(c->conninfo, "host=db port=5433 user=app dbname=shop sslmode=require");
  EXPECT_EQ(c->display.find("secret"), std::string::npos);
  EXPECT_FALSE(parse_connection("not a connection"));
}

TEST(DumpObserver, CountsCopyRowsAcrossAnyChunking) {
  std::string dump =
      "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.18\n"
      "-- Dumped by pg_dump version 15.18\n\n"
      "COPY public.\"Orders\" (id, note) FROM stdin;\n1\ta\n2\tb\\nc\n3\t\\N\n\\.\n\n"
      "COPY public.empty (id) FROM stdin;\n\\.\n\n"
      "COPY s.t (x) FROM stdin;\n" + std::string(5000, 'x') + "\n\\.\n"
      "--\n-- PostgreSQL database dump complete\n--\n\n";
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}, dump.size()}) {
    DumpObserver o;
    for (size_t pos = 0; pos < dump.size(); pos += chunk) {
      o.observe(pipeline::as_bytes(std::string_view(dump).substr(pos, chunk)));
    }
    o.finish();
    ASSERT_EQ(o.tables().size(), 3u) << chunk;
    EXPECT_EQ(o.tables()[0], (std::pair<std::string, std::uint64_t>{"public.Orders", 3}));
    EXPECT_EQ(o.tables()[1].second, 0u);
    EXPECT_EQ(o.tables()[2], (std::pair<std::string, std::uint64_t>{"s.t", 1}));
    EXPECT_EQ(o.server_version(), "15.18");
    EXPECT_EQ(o.pg_dump_version(), "15.18");
    EXPECT_TRUE(o.complete());
  }
  DumpObserver truncated;
  truncated.observe(pipeline::as_bytes(dump.substr(0, dump.size() / 2)));
  truncated.finish();
  EXPECT_FALSE(truncated.complete());
}
