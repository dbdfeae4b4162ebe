#include "nn/layers/window.h"

namespace cnn {

AxisFit fit_axis(int in, int f, int s, int p) {
  AxisFit r;
  r.out = (in + 2 * p - f) / s + 1;
  // Padded positions [o*s, o*s + f) are read by output o; the input occupies [p, p + in).
  std::vector<bool> read(static_cast<std::size_t>(in), false);
  for (int o = 0; o < r.out; ++o)
    for (int k = 0; k < f; ++k) {
      const int i = o * s + k - p;
      if (i >= 0 && i < in) read[static_cast<std::size_t>(i)] = true;
    }
  for (int i = 0; i < in; ++i)
    if (!read[static_cast<std::size_t>(i)]) r.unread.push_back(i);
  return r;
}

namespace {
// "27", "26 and 27", "0, 2, 4, ... 26 (14 of 28)": runs of consecutive indices as a-b.
std::string list_indices(const std::vector<int>& v, int of) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    parts.push_back(j == i ? std::to_string(v[i]) : std::to_string(v[i]) + "-" + std::to_string(v[j]));
    i = j + 1;
  }
  std::string s;
  const std::size_t shown = parts.size() > 4 ? 3 : parts.size();
  for (std::size_t i = 0; i < shown; ++i) s += (i ? (i + 1 == parts.size() ? " and " : ", ") : "") + parts[i];
  if (shown < parts.size()) s += ", ... " + parts.back();
  if (v.size() > 2) s += " (" + std::to_string(v.size()) + " of " + std::to_string(of) + ")";
  return s;
}

std::string axis_rule(const char* axis, int in, int f, int s, int p, int out) {
  const std::string span = p ? "(" + std::to_string(in) + " - " + std::to_string(f) + " + 2*" + std::to_string(p) + ")"
                             : "(" + std::to_string(in) + " - " + std::to_string(f) + ")";
  return std::string(axis) + " floor(" + span + "/" + std::to_string(s) + ") + 1 = " + std::to_string(out);
}
}  // namespace

std::string untiled_note(int H, int W, int fh, int fw, int sh, int sw, int ph, int pw, const AxisFit& h,
                         const AxisFit& w) {
  if (h.unread.empty() && w.unread.empty()) return "";
  std::string s = "does not tile its " + std::to_string(H) + "x" + std::to_string(W) + " input: ";
  std::vector<std::string> rules;
  if (!h.unread.empty()) {
    s += std::string(h.unread.size() == 1 ? "row " : "rows ") + list_indices(h.unread, H);
    rules.push_back(axis_rule("height", H, fh, sh, ph, h.out));
  }
  if (!w.unread.empty()) {
    s += std::string(h.unread.empty() ? "" : " and ") + (w.unread.size() == 1 ? "column " : "columns ") +
         list_indices(w.unread, W);
    rules.push_back(axis_rule("width", W, fw, sw, pw, w.out));
  }
  s += " (counting from 0) ";
  s += (h.unread.size() + w.unread.size() == 1) ? "is" : "are";
  s += " never read; ";
  for (std::size_t i = 0; i < rules.size(); ++i) s += (i ? ", " : "") + rules[i];
  return s;
}

}  // namespace cnn
