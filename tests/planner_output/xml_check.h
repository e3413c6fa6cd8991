// A tiny XML well-formedness checker for the SVG tests: one root element, every start tag closed in
// order, attributes quoted and unique, text free of '<' and of '&' outside the five predefined
// entities and numeric character references, the whole document valid UTF-8 without control
// characters. Enough for what render_svg writes; no DTDs, CDATA or namespaces checks.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace ptsim::testing {

struct XmlReport {
  std::string error;                    // empty when well-formed
  std::map<std::string, int> elements;  // element name -> count
  std::map<std::string, int> classes;   // value of a class attribute -> count
};

XmlReport check_xml(std::string_view doc);

}  // namespace ptsim::testing
