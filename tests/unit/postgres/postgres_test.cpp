#include <gtest/gtest.h>

#include <fmt/format.h>

#include "source/postgres/postgres.hpp"

using namespace lifeboat;
using namespace lifeboat::source::postgres;

namespace {

CopyTarget copy_of(std::string_view line) {
  auto t = parse_copy_line(line);
  EXPECT_TRUE(t) << line << ": " << (t ? "" : t.error());
  return t.value_or(CopyTarget{"?", "?"});
}

std::string copy_error(std::string_view line) {
  auto t = parse_copy_line(line);
  return t ? "no error" : t.error();
}

core::Inventory observe_all(const std::string& dump, size_t chunk) {
  DumpObserver o;
  for (size_t pos = 0; pos < dump.size(); pos += chunk) {
    o.observe(pipeline::as_bytes(std::string_view(dump).substr(pos, chunk)));
  }
  o.finish();
  return o.tables();
}

} // namespace

TEST(PostgresConnection, SplitsThePasswordOffUrls) {
  auto c = parse_connection("postgres://app:p%40ss%3Aw0rd@db.example.com:5432/shop?sslmode=require");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->conninfo, "user='app' dbname='shop' host='db.example.com' port='5432' sslmode='require'");
  EXPECT_EQ(c->password.reveal(), "p@ss:w0rd");
  EXPECT_EQ(c->dbname, "shop");
  EXPECT_EQ(c->display, "postgres://app:***@db.example.com:5432/shop?sslmode=require");

  auto n = parse_connection("postgresql://app@localhost/db");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->password.empty());
  EXPECT_EQ(n->conninfo, "user='app' dbname='db' host='localhost'");
  EXPECT_EQ(n->display, "postgresql://app@localhost/db");

  auto h = parse_connection("postgres://localhost");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->dbname, "");
}

TEST(PostgresConnection, NoPasswordEverReachesConninfoOrDisplay) {
  // Every place a password can be written, every character that needs encoding.
  const std::string secret = "p/+=?@:#% w";
  for (const std::string& text : {
           std::string("postgres://app:p%2F%2B%3D%3F%40%3A%23%25%20w@db:5432/shop"),
           std::string("postgres://app@db:5432/shop?password=p%2F%2B%3D%3F%40%3A%23%25%20w"),
           std::string("postgresql://db/shop?user=app&password=p%2F%2B%3D%3F%40%3A%23%25%20w&sslmode=require"),
           std::string("host=db dbname=shop user=app password='p/+=?@:#% w'"),
           std::string("password='p/+=?@:#% w' host=db dbname=shop"),
       }) {
    auto c = parse_connection(text);
    ASSERT_TRUE(c) << text;
    EXPECT_EQ(c->password.reveal(), secret) << text;
    EXPECT_EQ(c->dbname, "shop") << text;
    for (const std::string& shown : {c->conninfo, c->display, c->identity}) {
      EXPECT_EQ(shown.find("p/+"), std::string::npos) << text << " -> " << shown;
      EXPECT_EQ(shown.find("password='"), std::string::npos) << text << " -> " << shown;
      EXPECT_EQ(shown.find("%2F"), std::string::npos) << text << " -> " << shown;
    }
    EXPECT_NE(c->display.find("***"), std::string::npos) << c->display;
    EXPECT_EQ(c->identity, "postgres://db:5432/shop") << text;
  }
  // A value with quotes and backslashes survives libpq's quoting in conninfo.
  auto q = parse_connection("host=db dbname='it\\'s \\\\ db'");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->dbname, "it's \\ db");
  EXPECT_EQ(q->conninfo, "dbname='it\\'s \\\\ db' host='db'");
  // What libpq cannot read is refused without printing any part of it.
  for (const char* bad : {"postgres://app:secret@db/x?secret_option=1", "host=db secret_option=1",
                          "not a connection", ""}) {
    auto r = parse_connection(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().find("secret"), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find("notaport"), std::string::npos) << r.error();
  }
}

TEST(PostgresConnection, KeywordStrings) {
  auto c = parse_connection("host=db port=5433 user=app password='it\\'s secret' dbname=shop sslmode=require");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->password.reveal(), "it's secret");
  EXPECT_EQ(c->dbname, "shop");
  EXPECT_EQ(c->conninfo, "user='app' dbname='shop' host='db' port='5433' sslmode='require'");
  EXPECT_EQ(c->display.find("secret"), std::string::npos);
  EXPECT_FALSE(parse_connection("not a connection"));
}

TEST(DumpObserver, CountsCopyRowsAcrossAnyChunking) {
  std::string dump =
      "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.18\n"
      "-- Dumped by pg_dump version 15.18\n\n"
      "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY public.\"Orders\" (id, note) FROM stdin;\n1\ta\n2\tb\\nc\n3\t\\N\n\\.\n\n"
      "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY public.empty (id) FROM stdin;\n\\.\n\n"
      "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY s.t (x) FROM stdin;\n" + std::string(5000, 'x') + "\n\\.\n"
      "--\n-- PostgreSQL database dump complete\n--\n\n";
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}, dump.size()}) {
    DumpObserver o;
    for (size_t pos = 0; pos < dump.size(); pos += chunk) {
      o.observe(pipeline::as_bytes(std::string_view(dump).substr(pos, chunk)));
    }
    o.finish();
    EXPECT_EQ(o.tables(),
              (core::Inventory{{"public", "Orders", 3}, {"public", "empty", 0}, {"s", "t", 1}}))
        << chunk;
    EXPECT_EQ(o.server_version(), "15.18");
    EXPECT_EQ(o.pg_dump_version(), "15.18");
    EXPECT_TRUE(o.complete());
  }
  DumpObserver truncated;
  truncated.observe(pipeline::as_bytes(dump.substr(0, dump.size() / 2)));
  truncated.finish();
  EXPECT_FALSE(truncated.complete());
}

TEST(CopyLine, BareNames) {
  EXPECT_EQ(copy_of("COPY public.orders (id, note) FROM stdin;"), (CopyTarget{"public", "orders"}));
  EXPECT_EQ(copy_of("COPY s_1.t$2 (a) FROM stdin;"), (CopyTarget{"s_1", "t$2"}));
  // Unquoted names fold to lower case, as the server reads them.
  EXPECT_EQ(copy_of("COPY Public.Orders (Id) FROM STDIN;"), (CopyTarget{"public", "orders"}));
  // pg_dump writes two spaces when a table has no columns.
  EXPECT_EQ(copy_of("COPY public.nothing  FROM stdin;"), (CopyTarget{"public", "nothing"}));
  // No schema: never from pg_dump, but a hand-written script may.
  EXPECT_EQ(copy_of("COPY orders (id) FROM stdin;"), (CopyTarget{"", "orders"}));
}

TEST(CopyLine, QuotedNames) {
  EXPECT_EQ(copy_of("COPY public.\"Orders\" (id) FROM stdin;"), (CopyTarget{"public", "Orders"}));
  EXPECT_EQ(copy_of("COPY public.\"a.b\" (x) FROM stdin;"), (CopyTarget{"public", "a.b"}));
  EXPECT_EQ(copy_of("COPY \"a\".\"b.c\" (x) FROM stdin;"), (CopyTarget{"a", "b.c"}));
  EXPECT_EQ(copy_of("COPY \"a.b\".\"c\" (x) FROM stdin;"), (CopyTarget{"a.b", "c"}));
  EXPECT_EQ(copy_of("COPY \"a.b\".c (x) FROM stdin;"), (CopyTarget{"a.b", "c"}));
  EXPECT_EQ(copy_of("COPY \"we\"\"ird\".t (x) FROM stdin;"), (CopyTarget{"we\"ird", "t"}));
  EXPECT_EQ(copy_of("COPY public.\"\"\"\" (x) FROM stdin;"), (CopyTarget{"public", "\""}));
  EXPECT_EQ(copy_of("COPY public.\"my table (old)\" (\"a b\") FROM stdin;"),
            (CopyTarget{"public", "my table (old)"}));
  EXPECT_EQ(copy_of("COPY public.\"a, b\" (x) FROM stdin;"), (CopyTarget{"public", "a, b"}));
}

TEST(CopyLine, Unicode) {
  EXPECT_EQ(copy_of("COPY 日本.\"表\" (列) FROM stdin;"), (CopyTarget{"日本", "表"}));
  EXPECT_EQ(copy_of("COPY \"Ünïcödé\".ß (x) FROM stdin;"), (CopyTarget{"Ünïcödé", "ß"}));
}

TEST(CopyLine, KeywordsAsQuotedNames) {
  EXPECT_EQ(copy_of("COPY \"COPY\".t (x) FROM stdin;"), (CopyTarget{"COPY", "t"}));
  EXPECT_EQ(copy_of("COPY \"COPY\".\"FROM\" (\"stdin\") FROM stdin;"),
            (CopyTarget{"COPY", "FROM"}));
  EXPECT_EQ(copy_of("COPY public.\"FROM stdin;\" (x) FROM stdin;"),
            (CopyTarget{"public", "FROM stdin;"}));
}

TEST(CopyLine, ColumnListIsLexedNotSearched) {
  EXPECT_EQ(copy_of("COPY public.t (\"x FROM stdin;\", b) FROM stdin;"),
            (CopyTarget{"public", "t"}));
  EXPECT_EQ(copy_of("COPY public.t (\"a) FROM stdin;\", \"(\", \"\"\"\") FROM stdin;"),
            (CopyTarget{"public", "t"}));
  EXPECT_EQ(copy_of("COPY public.t (a,b ,  c) FROM stdin;"), (CopyTarget{"public", "t"}));
}

TEST(CopyLine, ErrorsNameWhatAndWhere) {
  EXPECT_EQ(copy_error("INSERT INTO t VALUES (1);"), "expected 'COPY' and a space at byte 0");
  EXPECT_EQ(copy_error("COPY \"unterminated (x) FROM stdin;"),
            "unterminated quoted identifier at byte 5");
  EXPECT_EQ(copy_error("COPY public.\"\" (x) FROM stdin;"),
            "zero-length quoted identifier at byte 12");
  EXPECT_EQ(copy_error("COPY public. (x) FROM stdin;"), "expected an identifier at byte 13");
  EXPECT_EQ(copy_error("COPY 1abc (x) FROM stdin;"), "expected an identifier at byte 5");
  EXPECT_EQ(copy_error("COPY db.public.t (x) FROM stdin;"),
            "a table name of more than two parts at byte 14");
  EXPECT_EQ(copy_error("COPY public.t (a b) FROM stdin;"),
            "expected ',' or ')' in the column list at byte 17");
  EXPECT_EQ(copy_error("COPY public.t () FROM stdin;"), "expected an identifier at byte 15");
  EXPECT_EQ(copy_error("COPY public.t (a) TO stdout;"), "expected 'FROM stdin' at byte 18");
  EXPECT_EQ(copy_error("COPY public.t (a) FROM stdinx;"), "expected 'FROM stdin' at byte 18");
  EXPECT_EQ(copy_error("COPY public.t (a) FROM stdin"), "expected ';' at byte 28");
  EXPECT_EQ(copy_error("COPY public.t (a) FROM stdin; x"), "unexpected text after ';' at byte 30");
}

TEST(DumpObserver, TablesWithDotsAndQuotesStayDistinct) {
  std::string dump = "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY public.\"a.b\" (x) FROM stdin;\n1\n\\.\n\n"
                     "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY \"a\".\"b.c\" (x) FROM stdin;\n1\n2\n\\.\n\n"
                     "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY \"a.b\".c (x) FROM stdin;\n1\n2\n3\n\\.\n\n"
                     "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY \"we\"\"ird\".t (\"FROM stdin;\") FROM stdin;\n1\n2\n3\n4\n\\.\n\n"
                     "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY 日本.\"表\" (列) FROM stdin;\nx\n\\.\n"
                     "-- PostgreSQL database dump complete\n";
  for (size_t chunk : {size_t{1}, size_t{5}, dump.size()}) {
    EXPECT_EQ(observe_all(dump, chunk), (core::Inventory{{"public", "a.b", 1},
                                                         {"a", "b.c", 2},
                                                         {"a.b", "c", 3},
                                                         {"we\"ird", "t", 4},
                                                         {"日本", "表", 1}}))
        << chunk;
  }
}

TEST(DumpObserver, LongColumnListsAndLongRowsAcrossChunks) {
  // A COPY line of 1600 quoted 63-byte columns, longer than any old line buffer.
  std::string columns;
  for (int i = 0; i < 1600; ++i) {
    columns += (i ? ", \"" : "\"") + std::string(58, 'c') + fmt::format("{:04}", i) + "\"";
  }
  std::string dump = "--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY public.wide (" + columns + ") FROM stdin;\n" + std::string(300000, 'x') +
                     "\n\\.x\n\\\\.\n\\.\n";
  for (size_t chunk : {size_t{7}, size_t{4096}, dump.size()}) {
    EXPECT_EQ(observe_all(dump, chunk), (core::Inventory{{"public", "wide", 3}})) << chunk;
  }
}

TEST(DumpObserver, ACopyLineItCannotReadFailsLoudly) {
  DumpObserver o;
  try {
    o.observe(pipeline::as_bytes(std::string_view("--\n-- Data for Name: t; Type: TABLE DATA; Schema: s; Owner: -\n--\n\nCOPY public.\"broken (x) FROM stdin;\n")));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::integrity);
    EXPECT_EQ(std::string(e.what()),
              "unable to read the table of COPY line 'COPY public.\"broken (x) FROM stdin;': "
              "unterminated quoted identifier at byte 12");
  }
  // Not a data block: nothing follows it, so it is no table of the dump.
  EXPECT_TRUE(observe_all("COPY public.t (x) TO stdout;\n", 3).empty());
}

TEST(DumpObserver, CopyTextOutsideADataBlockIsNotCounted) {
  // The class: "COPY ... FROM stdin;" as schema text (a function body, a comment, a view's
  // definition) must not start a block, or it swallows the real blocks after it.
  std::string header = "--\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n";
  std::string dump =
      "CREATE FUNCTION public.load() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
      "COPY public.t (x) FROM stdin;\nEND\n$$;\n\n"
      "COMMENT ON TABLE public.t IS '\nCOPY public.t (x) FROM stdin;\n';\n\n"
      "--\n-- Name: t; Type: TABLE; Schema: public; Owner: -\n--\n\n"
      "COPY public.t (x) FROM stdin;\n" +
      header + "COPY public.t (x) FROM stdin;\n1\n2\n\\.\n\n" + header +
      "COPY public.u (x) FROM stdin;\n1\n\\.\n\n-- PostgreSQL database dump complete\n";
  for (size_t chunk : {size_t{1}, size_t{9}, dump.size()}) {
    DumpObserver o;
    for (size_t pos = 0; pos < dump.size(); pos += chunk) {
      o.observe(pipeline::as_bytes(std::string_view(dump).substr(pos, chunk)));
    }
    o.finish();
    EXPECT_EQ(o.tables(), (core::Inventory{{"public", "t", 2}, {"public", "u", 1}})) << chunk;
    EXPECT_TRUE(o.complete());
  }
}
