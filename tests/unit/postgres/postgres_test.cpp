#include <gtest/gtest.h>

#include <fmt/format.h>

#include "source/postgres/postgres.hpp"

namespace lifeboat::core {
// Readable failures: "schema|table=rows" per table.
inline void PrintTo(const Inventory& inventory, std::ostream* os) {
  for (const auto& t : inventory) {
    *os << "[" << t.schema << "|" << t.table << "=" << t.rows << "] ";
  }
}
} // namespace lifeboat::core

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

TEST(PostgresConnection, SslPasswordIsASecretToo) {
  for (const std::string& text :
       {std::string("postgres://app@db/shop?sslmode=verify-full&sslpassword=k%2Fey%20pw&sslkey=/k.pem"),
        std::string("host=db dbname=shop user=app sslmode=verify-full sslpassword='k/ey pw' sslkey=/k.pem")}) {
    auto c = parse_connection(text);
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->ssl_password.reveal(), "k/ey pw");
    EXPECT_EQ(c->conninfo.find("k/ey"), std::string::npos) << c->conninfo;
    EXPECT_EQ(c->conninfo.find("sslpassword"), std::string::npos) << c->conninfo;
    EXPECT_EQ(c->display.find("k/ey"), std::string::npos) << c->display;
    EXPECT_NE(c->display.find("sslpassword=***"), std::string::npos) << c->display;
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

TEST(DumpObserver, ACopyStatementItCannotReadFailsLoudly) {
  DumpObserver o;
  try {
    o.observe(pipeline::as_bytes(std::string_view("\nCOPY public.t.u (x) FROM stdin;\n")));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::integrity);
    EXPECT_EQ(std::string(e.what()),
              "unable to read the table of COPY statement 'COPY public.t.u (x) FROM stdin': "
              "a table name of more than two parts at byte 13");
  }
  // An unterminated quoted name swallows the rest, trailer included: never complete.
  DumpObserver broken;
  broken.observe(pipeline::as_bytes(std::string_view(
      "COPY public.\"broken (x) FROM stdin;\n1\n\\.\n-- PostgreSQL database dump complete\n")));
  broken.finish();
  EXPECT_TRUE(broken.tables().empty());
  EXPECT_FALSE(broken.complete());
  // Not a data block: COPY ... TO stdout has no data in the script.
  EXPECT_TRUE(observe_all("COPY public.t (x) TO stdout;\n", 3).empty());
}

namespace {

// Feeds `dump` split at every position into two chunks, and in chunks of 1..17 bytes,
// and checks that every split gives `expected`.
void expect_every_chunking(const std::string& dump, const core::Inventory& expected,
                           bool complete = true) {
  auto check = [&](const std::vector<std::string_view>& parts, const std::string& how) {
    DumpObserver o;
    for (auto p : parts) {
      o.observe(pipeline::as_bytes(p));
    }
    o.finish();
    EXPECT_EQ(o.tables(), expected) << how;
    EXPECT_EQ(o.complete(), complete) << how;
  };
  std::string_view d(dump);
  for (std::size_t split = 0; split <= d.size(); ++split) {
    check({d.substr(0, split), d.substr(split)}, fmt::format("split at {}", split));
  }
  for (std::size_t chunk = 1; chunk <= 17; ++chunk) {
    std::vector<std::string_view> parts;
    for (std::size_t pos = 0; pos < d.size(); pos += chunk) {
      parts.push_back(d.substr(pos, chunk));
    }
    check(parts, fmt::format("chunks of {}", chunk));
  }
}

const char* const k_trailer = "--\n-- PostgreSQL database dump complete\n--\n";

} // namespace

TEST(DumpObserver, CopyTextInsideQuotesAndCommentsIsNotAStatement) {
  // The class: "COPY ... FROM stdin;" as text of the schema must not start a block,
  // wherever psql's lexer would see it as text: dollar quotes with and without tags
  // (and a tag that merely contains the other's), comments of both kinds (nested),
  // string literals (standard and E'' with \'), and quoted identifiers.
  std::string dump =
      "\\restrict abc123\n"
      "CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
      "COPY public.phantom1 (x) FROM stdin;\nEND\n$$;\n"
      "CREATE FUNCTION public.g() RETURNS text LANGUAGE sql AS $body$\n"
      "SELECT $$;\nCOPY public.phantom2 (x) FROM stdin;\n$$ $b$ $bod$ $body\n$body$;\n"
      "-- COPY public.phantom3 (x) FROM stdin;\n"
      "/* outer /* nested */\nCOPY public.phantom4 (x) FROM stdin;\n*/\n"
      "COMMENT ON TABLE public.t IS 'it''s\nCOPY public.phantom5 (x) FROM stdin;\n';\n"
      "COMMENT ON TABLE public.u IS E'\\'\nCOPY public.phantom6 (x) FROM stdin;\n';\n"
      "CREATE TABLE public.\"x;\nCOPY public.phantom7 (x) FROM stdin;\n\" (a int);\n"
      "SELECT $1, a$b FROM (SELECT ';' AS \"$$\") s;\n"
      "CREATE RULE r AS ON INSERT TO public.t DO ALSO (SELECT 1; SELECT 2);\n"
      "COPY public.t (x) FROM stdin;\n1\nCOPY public.phantom8 (x) FROM stdin;\n\\.\n"
      "COPY public.u (x) FROM stdin;\n$$\n'\n\\.\n" +
      std::string(k_trailer) + "\\unrestrict abc123\n";
  expect_every_chunking(dump, core::Inventory{{"public", "t", 2}, {"public", "u", 2}});
}

TEST(DumpObserver, QuotedNamesWithNewlinesDotsAndQuotes) {
  std::string dump = "COPY public.\"a\nb\" (x) FROM stdin;\n1\n\\.\n"
                     "COPY \"a.b\".\"c\" (x) FROM stdin;\n1\n2\n\\.\n"
                     "COPY a.\"b.c\" (x) FROM stdin;\n1\n2\n3\n\\.\n"
                     "COPY public.\"x\"\"y\" (x) FROM stdin;\n\\.\n"
                     "COPY public.xy (x) FROM stdin;\n1\n\\.\n"
                     "COPY \"Schéma 1\".\"名前 の 表\" (\"c\nd\") FROM stdin;\n1\n\\.\n" +
                     std::string(k_trailer);
  expect_every_chunking(dump, core::Inventory{{"public", "a\nb", 1},
                                              {"a.b", "c", 2},
                                              {"a", "b.c", 3},
                                              {"public", "x\"y", 0},
                                              {"public", "xy", 1},
                                              {"Schéma 1", "名前 の 表", 1}});
}

TEST(DumpObserver, TheTrailerCountsOnlyAsATopLevelComment) {
  std::string inside = "SELECT '\n-- PostgreSQL database dump complete\n';\n";
  expect_every_chunking(inside, {}, false);
  expect_every_chunking("-- PostgreSQL database dump complete", {}, true);
}

TEST(DumpObserver, NotesTheRolesTheDumpNames) {
  std::string dump =
      "ALTER SCHEMA s OWNER TO app;\n"
      "ALTER TABLE public.\"owner to\" OWNER TO \"App Admin\";\n"
      "ALTER FUNCTION public.f(a integer, b text) OWNER TO app;\n"
      "GRANT SELECT ON TABLE s.t TO ro;\n"
      "GRANT ALL ON SCHEMA public TO PUBLIC;\n"
      "GRANT SELECT(a), UPDATE(b) ON TABLE public.\"to\" TO \"Reader\", writer WITH GRANT OPTION;\n"
      "REVOKE ALL ON FUNCTION public.f(a integer) FROM PUBLIC;\n"
      "REVOKE USAGE ON SCHEMA s FROM old_role CASCADE;\n"
      "ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA s GRANT SELECT ON TABLES  TO ro;\n"
      "CREATE POLICY p ON public.t TO ro, \"Policy Role\" USING (true) WITH CHECK (a > 0);\n"
      "COMMENT ON TABLE public.t IS 'ALTER TABLE x OWNER TO ghost';\n";
  DumpObserver o;
  o.observe(pipeline::as_bytes(dump));
  o.finish();
  EXPECT_EQ(o.roles().owners, (std::set<std::string>{"app", "App Admin"}));
  EXPECT_EQ(o.roles().privileges,
            (std::set<std::string>{"Reader", "app", "old_role", "ro", "writer"}));
  EXPECT_EQ(o.roles().policies, (std::set<std::string>{"Policy Role", "ro"}));
}

namespace {

class StringSink final : public pipeline::Sink {
public:
  void write(pipeline::Bytes b) override {
    text.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  std::string text;
};

std::string filtered(const std::string& script, FilterOptions options, std::size_t chunk) {
  StringSink out;
  ScriptFilter f(out, options);
  for (std::size_t pos = 0; pos < script.size(); pos += chunk) {
    f.write(pipeline::as_bytes(std::string_view(script).substr(pos, chunk)));
  }
  f.finish();
  return out.text;
}

} // namespace

TEST(ScriptFilter, RemovesOwnersPrivilegesAndTransactionsOnly) {
  // Each piece is one unit: a statement with the white space and comments before it
  // (the newline after a ';' starts the next unit), a meta-command line, COPY data.
  std::string head = "\\restrict k\nSET statement_timeout = 0;";
  std::string lock = "\nSET lock_timeout = 0;";
  std::string create = "\n\n--\n-- Name: t; Type: TABLE\n--\n\nCREATE TABLE s.t (\n    id integer\n);";
  std::string owner = "\n\n\nALTER TABLE s.t OWNER TO app;";
  std::string copy = "\nCOPY s.t (id) FROM stdin;\n1\nGRANT x TO y;\n\\.\n";
  std::string begin = "BEGIN;";
  std::string lo_open = "\n\nSELECT pg_catalog.lo_open('16400', 131072);";
  std::string commit = "\nCOMMIT;";
  std::string grant = "\n\nGRANT SELECT ON TABLE s.t TO ro;";
  std::string defaults = "\nALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA s GRANT SELECT ON TABLES  TO ro;";
  std::string fn = "\nCREATE FUNCTION f() RETURNS void AS $$ BEGIN; GRANT ALL ON t TO x; COMMIT; $$ LANGUAGE sql;";
  std::string tail = "\n-- PostgreSQL database dump complete\n\\unrestrict k\n";
  std::string script =
      head + lock + create + owner + copy + begin + lo_open + commit + grant + defaults + fn + tail;
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{64}, script.size()}) {
    EXPECT_EQ(filtered(script, {}, chunk),
              head + create + owner + copy + lo_open + grant + defaults + fn + tail)
        << chunk;
    EXPECT_EQ(filtered(script, {.no_owner = true}, chunk),
              head + create + copy + lo_open + grant + defaults + fn + tail)
        << chunk;
    EXPECT_EQ(filtered(script, {.no_owner = true, .no_privileges = true}, chunk),
              head + create + copy + lo_open + fn + tail)
        << chunk;
  }
}

TEST(ScriptFilter, PassesEverythingElseByteForByte) {
  std::string script;
  for (int i = 0; i < 200; ++i) {
    script += fmt::format("CREATE TABLE \"t{};\" (a text DEFAULT 'x;y');\n-- c{}\nCOPY \"t{};\" (a) FROM stdin;\n{}\n\\.\n", i, i, i,
                          std::string(static_cast<std::size_t>(i * 37), 'v'));
  }
  // A statement longer than the filter holds passes on too.
  script += "SELECT '" + std::string(ScriptLexer::k_max_statement + 10, 'L') + "';\n";
  for (std::size_t chunk : {std::size_t{1000}, std::size_t{65536}, script.size()}) {
    EXPECT_EQ(filtered(script, {.no_owner = true, .no_privileges = true}, chunk), script) << chunk;
  }
}
