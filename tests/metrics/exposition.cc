#include "tests/metrics/exposition.h"

#include <cstdlib>
#include <limits>
#include <sstream>

namespace kirim::testing {
namespace {

// Reads `name{k="v",...} value` from `line`; false if it is not that shape.
bool ParseSample(const std::string& line, Sample* out) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  out->name = line.substr(0, i);
  if (out->name.empty()) return false;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return false;
      std::string key = line.substr(i, eq - i);
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) {
          ++j;
          value.push_back(line[j] == 'n' ? '\n' : line[j]);
        } else {
          value.push_back(line[j]);
        }
      }
      if (j >= line.size()) return false;
      out->labels[key] = value;
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return false;
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return false;
  std::string number = line.substr(i + 1);
  if (number == "+Inf") {
    out->value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (number == "-Inf") {
    out->value = -std::numeric_limits<double>::infinity();
    return true;
  }
  char* end = nullptr;
  out->value = std::strtod(number.c_str(), &end);
  return end != number.c_str() && *end == '\0';
}

}  // namespace

Exposition Exposition::Parse(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t space = rest.find(' ');
      std::string family = rest.substr(0, space);
      std::string what = space == std::string::npos ? "" : rest.substr(space + 1);
      (line[2] == 'H' ? e.helps_ : e.types_)[family] = what;
      continue;
    }
    if (line[0] == '#') continue;
    Sample s;
    if (ParseSample(line, &s)) {
      e.samples_.push_back(std::move(s));
    } else {
      e.errors_.push_back(line);
    }
  }
  return e;
}

std::optional<double> Exposition::Value(const std::string& name, const LabelSet& labels) const {
  for (const Sample& s : samples_) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

std::vector<Sample> Exposition::All(const std::string& name) const {
  std::vector<Sample> out;
  for (const Sample& s : samples_) {
    if (s.name == name) out.push_back(s);
  }
  return out;
}

std::string Exposition::Type(const std::string& family) const {
  auto it = types_.find(family);
  return it == types_.end() ? "" : it->second;
}

std::string Exposition::Help(const std::string& family) const {
  auto it = helps_.find(family);
  return it == helps_.end() ? "" : it->second;
}

std::vector<std::pair<double, double>> Exposition::Buckets(const std::string& family,
                                                           const LabelSet& labels) const {
  std::vector<std::pair<double, double>> out;
  for (const Sample& s : samples_) {
    if (s.name != family + "_bucket") continue;
    LabelSet rest = s.labels;
    auto le = rest.find("le");
    if (le == rest.end()) continue;
    std::string bound = le->second;
    rest.erase(le);
    if (rest != labels) continue;
    double b = bound == "+Inf" ? std::numeric_limits<double>::infinity()
                               : std::strtod(bound.c_str(), nullptr);
    out.emplace_back(b, s.value);
  }
  return out;
}

}  // namespace kirim::testing
