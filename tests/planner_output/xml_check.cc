#include "tests/planner_output/xml_check.h"

#include <cctype>
#include <set>
#include <vector>

namespace ptsim::testing {
namespace {

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
         c == '.' || (static_cast<unsigned char>(c) & 0x80);
}

// Checks character data (text or attribute value): no '<', '&' only as a known reference.
std::string check_chars(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') return "'<' in character data";
    if (s[i] != '&') continue;
    const std::size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) return "'&' without ';'";
    const std::string_view ref = s.substr(i + 1, semi - i - 1);
    static const std::set<std::string_view> kEntities = {"amp", "lt", "gt", "quot", "apos"};
    const bool numeric = ref.size() >= 2 && ref[0] == '#' &&
                         ref.find_first_not_of("0123456789", 1) == std::string_view::npos;
    if (!kEntities.count(ref) && !numeric) return "unknown entity &" + std::string(ref) + ";";
  }
  return "";
}

// Valid UTF-8 with no C0 control characters other than tab, LF and CR (XML 1.0 section 2.2).
std::string check_encoding(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || (n == 2 && c < 0xC2) || i + n > s.size()) return "invalid UTF-8";
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return "invalid UTF-8";
    }
    if (n == 1 && c < 0x20 && c != '\t' && c != '\n' && c != '\r') return "control character";
    i += n;
  }
  return "";
}

}  // namespace

XmlReport check_xml(std::string_view doc) {
  XmlReport report;
  auto fail = [&report](std::size_t at, const std::string& what) {
    report.error = "offset " + std::to_string(at) + ": " + what;
    return report;
  };
  if (std::string e = check_encoding(doc); !e.empty()) return fail(0, e);
  std::vector<std::string> open;
  int roots = 0;
  std::size_t i = 0;
  if (doc.substr(0, 5) == "<?xml") {
    i = doc.find("?>");
    if (i == std::string_view::npos) return fail(0, "unterminated XML declaration");
    i += 2;
  }
  while (i < doc.size()) {
    const std::size_t lt = doc.find('<', i);
    const std::string_view text = doc.substr(i, lt == std::string_view::npos ? lt : lt - i);
    if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      return fail(i, "text outside the root element");
    }
    if (std::string e = check_chars(text); !e.empty()) return fail(i, e);
    if (lt == std::string_view::npos) break;
    i = lt;
    if (doc.substr(i, 4) == "<!--") {
      const std::size_t end = doc.find("-->", i);
      if (end == std::string_view::npos) return fail(i, "unterminated comment");
      i = end + 3;
      continue;
    }
    const bool closing = doc.substr(i, 2) == "</";
    std::size_t p = i + (closing ? 2 : 1);
    const std::size_t name_start = p;
    while (p < doc.size() && name_char(doc[p]))
      ++p;
    const std::string name(doc.substr(name_start, p - name_start));
    if (name.empty()) return fail(i, "tag without a name");
    if (closing) {
      while (p < doc.size() && std::isspace(static_cast<unsigned char>(doc[p])))
        ++p;
      if (p >= doc.size() || doc[p] != '>') return fail(i, "malformed end tag");
      if (open.empty() || open.back() != name)
        return fail(i, "end tag </" + name + "> out of order");
      open.pop_back();
      i = p + 1;
      continue;
    }
    if (open.empty() && ++roots > 1) return fail(i, "more than one root element");
    ++report.elements[name];
    std::set<std::string> seen;
    bool self_closing = false;
    while (true) {
      const std::size_t before = p;
      while (p < doc.size() && std::isspace(static_cast<unsigned char>(doc[p])))
        ++p;
      if (p >= doc.size()) return fail(i, "unterminated start tag");
      if (doc[p] == '>') break;
      if (doc.substr(p, 2) == "/>") {
        self_closing = true;
        ++p;
        break;
      }
      if (p == before) return fail(p, "attributes must be separated by white space");
      const std::size_t a = p;
      while (p < doc.size() && name_char(doc[p]))
        ++p;
      const std::string attr(doc.substr(a, p - a));
      if (attr.empty() || p + 1 >= doc.size() || doc[p] != '=' ||
          (doc[p + 1] != '"' && doc[p + 1] != '\'')) {
        return fail(a, "malformed attribute in <" + name + ">");
      }
      if (!seen.insert(attr).second) return fail(a, "duplicate attribute " + attr);
      const char quote = doc[p + 1];
      const std::size_t end = doc.find(quote, p + 2);
      if (end == std::string_view::npos) return fail(a, "unterminated attribute value");
      const std::string_view value = doc.substr(p + 2, end - p - 2);
      if (std::string e = check_chars(value); !e.empty()) return fail(a, e);
      if (attr == "class") ++report.classes[std::string(value)];
      p = end + 1;
    }
    if (!self_closing) open.push_back(name);
    i = p + 1;
  }
  if (!open.empty()) return fail(doc.size(), "element <" + open.back() + "> not closed");
  if (roots != 1) return fail(doc.size(), "no root element");
  return report;
}

}  // namespace ptsim::testing
