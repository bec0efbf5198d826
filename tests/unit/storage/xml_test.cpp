// S3's XML answers, read with expat: pages, errors, uploads; hostile documents refused.
#include <gtest/gtest.h>

#include "storage/s3/xml.hpp"

using namespace lifeboat;
using namespace lifeboat::storage::s3;

TEST(S3Xml, ReadsAListPageWithEscapedKeysAndATokenInANamespace) {
  auto page = parse_list_objects_v2(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
<IsTruncated>true</IsTruncated><NextContinuationToken>tok/+=</NextContinuationToken>
<Contents><Key>p/a &amp; b &lt;c&gt; ü.db</Key><LastModified>2026-11-24T03:00:01.000Z</LastModified>
<ETag>&quot;x&quot;</ETag><Size>4711</Size></Contents>
<Contents><Key>p/z</Key><Size>0</Size></Contents></ListBucketResult>)");
  ASSERT_TRUE(page) << page.error();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "p/a & b <c> ü.db");
  EXPECT_EQ(page->objects[0].size, 4711u);
  EXPECT_EQ(format_iso8601(page->objects[0].mtime), "2026-11-24T03:00:01Z");
  EXPECT_EQ(page->objects[1].size, 0u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "tok/+=");
}

TEST(S3Xml, RefusesWhatIsNotAListPage) {
  EXPECT_FALSE(parse_list_objects_v2("<Error><Code>AccessDenied</Code></Error>"));
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"))
      << "a truncated page without a token would loop or stop early";
  EXPECT_FALSE(parse_list_objects_v2(
      "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>"));
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><Contents>"));
  EXPECT_FALSE(parse_list_objects_v2(""));
}

TEST(S3Xml, EntitiesAndDeepNestingAreRefused) {
  auto laughs = parse_error(R"(<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]><Error><Code>&b;</Code></Error>)");
  EXPECT_FALSE(laughs);
  std::string deep;
  for (int i = 0; i < 100; ++i) {
    deep += "<a>";
  }
  auto r = parse_xml(deep, [](const std::string&, const std::string&) {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("nests deeper than 16"), std::string::npos) << r.error();
}

TEST(S3Xml, ErrorsUploadsAndEscaping) {
  auto e = parse_error("<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "SignatureDoesNotMatch");
  EXPECT_EQ(e->message, "m");
  EXPECT_FALSE(parse_error("not xml"));
  EXPECT_EQ(*parse_upload_id("<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>"),
            "u-1");
  EXPECT_FALSE(parse_upload_id("<InitiateMultipartUploadResult/>"));
  auto u = parse_list_multipart_uploads(
      "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload><Key>k</Key>"
      "<UploadId>i</UploadId><Initiated>2026-11-24T03:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>");
  ASSERT_TRUE(u);
  ASSERT_EQ(u->uploads.size(), 1u);
  EXPECT_EQ(u->uploads[0].upload_id, "i");
  EXPECT_EQ(xml_escape("\"a\"&<b>'"), "&quot;a&quot;&amp;&lt;b&gt;&apos;");
}
