#include "storage/s3/xml.hpp"

#include <expat.h>
#include <fmt/format.h>

namespace lifeboat::storage::s3 {

namespace {

constexpr int k_max_depth = 16;
constexpr std::size_t k_max_text = 64 * 1024;

struct Parser {
  const std::function<void(const std::string&, const std::string&)>* leaf;
  const std::function<void(const std::string&)>* end;
  std::vector<std::string> names;
  std::string path;
  std::string text;
  bool had_child = false;
  std::string failure;
  XML_Parser xml = nullptr;

  void fail(std::string why) {
    if (failure.empty()) {
      failure = std::move(why);
    }
    XML_StopParser(xml, XML_FALSE);
  }
};

std::string local_name(const char* name) {
  std::string_view n(name);
  auto sep = n.rfind('|'); // namespace separator given to XML_ParserCreateNS
  return std::string(sep == std::string_view::npos ? n : n.substr(sep + 1));
}

void XMLCALL on_start(void* user, const XML_Char* name, const XML_Char**) {
  auto* p = static_cast<Parser*>(user);
  if (static_cast<int>(p->names.size()) >= k_max_depth) {
    p->fail(fmt::format("it nests deeper than {} elements", k_max_depth));
    return;
  }
  p->names.push_back(local_name(name));
  p->path = p->path.empty() ? p->names.back() : p->path + "/" + p->names.back();
  p->text.clear();
  p->had_child = false;
}

void XMLCALL on_end(void* user, const XML_Char*) {
  auto* p = static_cast<Parser*>(user);
  if (!p->had_child && *p->leaf) {
    (*p->leaf)(p->path, p->text);
  }
  if (p->end != nullptr && *p->end) {
    (*p->end)(p->path);
  }
  p->names.pop_back();
  auto slash = p->path.rfind('/');
  p->path = slash == std::string::npos ? "" : p->path.substr(0, slash);
  p->text.clear();
  p->had_child = true; // the parent has a child element
}

void XMLCALL on_text(void* user, const XML_Char* s, int len) {
  auto* p = static_cast<Parser*>(user);
  if (p->text.size() + static_cast<std::size_t>(len) > k_max_text) {
    p->fail(fmt::format("an element holds more than {} bytes of text", k_max_text));
    return;
  }
  p->text.append(s, static_cast<std::size_t>(len));
}

void XMLCALL on_entity_decl(void* user, const XML_Char*, int, const XML_Char*, int,
                            const XML_Char*, const XML_Char*, const XML_Char*, const XML_Char*) {
  static_cast<Parser*>(user)->fail("it declares entities");
}

std::uint64_t to_u64(const std::string& s, bool& ok) {
  std::uint64_t v = 0;
  ok = !s.empty() && s.size() <= 19;
  for (char c : s) {
    if (c < '0' || c > '9') {
      ok = false;
      return 0;
    }
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

} // namespace

Result<void> parse_xml(std::string_view body,
                       const std::function<void(const std::string&, const std::string&)>& leaf,
                       const std::function<void(const std::string&)>& end) {
  Parser p{&leaf, &end};
  XML_Parser xml = XML_ParserCreateNS(nullptr, '|');
  if (xml == nullptr) {
    return unexpected(std::string("unable to start the XML parser"));
  }
  p.xml = xml;
  XML_SetUserData(xml, &p);
  XML_SetElementHandler(xml, on_start, on_end);
  XML_SetCharacterDataHandler(xml, on_text);
  XML_SetEntityDeclHandler(xml, on_entity_decl);
  XML_Status st = XML_Parse(xml, body.data(), static_cast<int>(body.size()), XML_TRUE);
  std::string why;
  if (!p.failure.empty()) {
    why = p.failure;
  } else if (st != XML_STATUS_OK) {
    why = fmt::format("{} at line {}", XML_ErrorString(XML_GetErrorCode(xml)),
                      XML_GetCurrentLineNumber(xml));
  }
  XML_ParserFree(xml);
  if (!why.empty()) {
    return unexpected("the answer is not the XML expected: " + why);
  }
  return {};
}

Result<ListPage> parse_list_objects_v2(std::string_view body) {
  ListPage page;
  ListedObject current;
  std::string bad;
  bool is_list = false;
  auto r = parse_xml(
      body,
      [&](const std::string& path, const std::string& text) {
        if (path == "ListBucketResult/Contents/Key") {
          current.key = text;
        } else if (path == "ListBucketResult/Contents/Size") {
          bool ok = false;
          current.size = to_u64(text, ok);
          if (!ok) {
            bad = fmt::format("size '{}' of '{}' is not a number", text, current.key);
          }
        } else if (path == "ListBucketResult/Contents/ETag") {
          current.etag = text;
        } else if (path == "ListBucketResult/Contents/LastModified") {
          if (auto t = parse_iso8601(text)) {
            current.mtime = *t;
          }
        } else if (path == "ListBucketResult/IsTruncated") {
          page.truncated = text == "true";
        } else if (path == "ListBucketResult/NextContinuationToken") {
          page.next_token = text;
        }
      },
      [&](const std::string& path) {
        if (path == "ListBucketResult") {
          is_list = true;
        } else if (path == "ListBucketResult/Contents") {
          page.objects.push_back(std::move(current));
          current = {};
        }
      });
  if (!r) {
    return unexpected(r.error());
  }
  if (!is_list) {
    return unexpected(std::string("the answer is not a ListBucketResult"));
  }
  if (!bad.empty()) {
    return unexpected(bad);
  }
  if (page.truncated && page.next_token.empty()) {
    return unexpected(std::string("a truncated listing without a continuation token"));
  }
  return page;
}

std::optional<S3Error> parse_error(std::string_view body) {
  S3Error e;
  bool is_error = false;
  auto r = parse_xml(
      body,
      [&](const std::string& path, const std::string& text) {
        if (path == "Error/Code") {
          e.code = text;
        } else if (path == "Error/Message") {
          e.message = text;
        }
      },
      [&](const std::string& path) { is_error = is_error || path == "Error"; });
  if (!r || !is_error) {
    return std::nullopt;
  }
  return e;
}

Result<std::string> parse_upload_id(std::string_view body) {
  std::string id;
  auto r = parse_xml(body, [&](const std::string& path, const std::string& text) {
    if (path == "InitiateMultipartUploadResult/UploadId") {
      id = text;
    }
  });
  if (!r) {
    return unexpected(r.error());
  }
  if (id.empty()) {
    return unexpected(std::string("the answer has no UploadId"));
  }
  return id;
}

Result<UploadsPage> parse_list_multipart_uploads(std::string_view body) {
  UploadsPage page;
  PendingUpload current;
  auto r = parse_xml(
      body,
      [&](const std::string& path, const std::string& text) {
        if (path == "ListMultipartUploadsResult/Upload/Key") {
          current.key = text;
        } else if (path == "ListMultipartUploadsResult/Upload/UploadId") {
          current.upload_id = text;
        } else if (path == "ListMultipartUploadsResult/Upload/Initiated") {
          if (auto t = parse_iso8601(text)) {
            current.initiated = *t;
          }
        } else if (path == "ListMultipartUploadsResult/IsTruncated") {
          page.truncated = text == "true";
        } else if (path == "ListMultipartUploadsResult/NextKeyMarker") {
          page.next_key_marker = text;
        } else if (path == "ListMultipartUploadsResult/NextUploadIdMarker") {
          page.next_upload_id_marker = text;
        }
      },
      [&](const std::string& path) {
        if (path == "ListMultipartUploadsResult/Upload") {
          page.uploads.push_back(std::move(current));
          current = {};
        }
      });
  if (!r) {
    return unexpected(r.error());
  }
  return page;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    default: out += c;
    }
  }
  return out;
}

} // namespace lifeboat::storage::s3
