// Test helper: reads the Prometheus text exposition format (version 0.0.4) back into samples,
// so tests check exact values and label sets instead of grepping for substrings.
//
//   Exposition e = Exposition::Parse(metrics.Serialize());
//   EXPECT_EQ(e.Value("kirim_messages_accepted_total", {{"lane", "bulk"}}), 2);
//   EXPECT_EQ(e.Type("kirim_messages_accepted_total"), "counter");
//
// Parse understands what prometheus-cpp writes: "# HELP"/"# TYPE" comments, one sample per
// line, label values with \\, \" and \n escapes, no timestamps.
#ifndef KIRIM_TESTS_METRICS_EXPOSITION_H_
#define KIRIM_TESTS_METRICS_EXPOSITION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kirim::testing {

using LabelSet = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  LabelSet labels;
  double value = 0;
};

class Exposition {
 public:
  // Lines it cannot read are kept in errors() (a test should expect none).
  static Exposition Parse(const std::string& text);

  const std::vector<Sample>& samples() const { return samples_; }
  const std::vector<std::string>& errors() const { return errors_; }

  // The value of the sample with exactly this name and label set; nullopt if absent.
  std::optional<double> Value(const std::string& name, const LabelSet& labels = {}) const;
  // Every sample of `name`, in order.
  std::vector<Sample> All(const std::string& name) const;
  // The "# TYPE" and "# HELP" of a family; "" if absent.
  std::string Type(const std::string& family) const;
  std::string Help(const std::string& family) const;

  // A histogram's cumulative bucket counts by upper bound (+Inf last as infinity), for the
  // series with these labels (without "le").
  std::vector<std::pair<double, double>> Buckets(const std::string& family,
                                                 const LabelSet& labels) const;

 private:
  std::vector<Sample> samples_;
  std::vector<std::string> errors_;
  std::map<std::string, std::string> types_;
  std::map<std::string, std::string> helps_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_METRICS_EXPOSITION_H_
