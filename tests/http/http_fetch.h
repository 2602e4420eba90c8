// Fetch: one HTTP request made by a client nobody on the project wrote — Python's
// urllib.request in a child /usr/bin/python3 (tests/http/http_client.py) — and its answer, for
// tests of kirimd's HTTP endpoints.
//
//   Reply r = Fetch("POST", "http://127.0.0.1:9090/unsubscribe?token=T",
//                   {.body = "List-Unsubscribe=One-Click", .send_body = true});
//   EXPECT_EQ(r.status, 200);
#ifndef KIRIM_TESTS_HTTP_HTTP_FETCH_H_
#define KIRIM_TESTS_HTTP_HTTP_FETCH_H_

#include <map>
#include <string>
#include <vector>

namespace kirim::testing {

struct Reply {
  int exit_code = -1;
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::string error;   // the client's ERROR line when no HTTP answer came
  std::string output;  // everything printed, for failure messages
};

struct RequestOptions {
  std::string body;  // sent when send_body
  bool send_body = false;
  bool chunked = false;
  std::vector<std::string> headers;  // "Name: value"
};

Reply Fetch(const std::string& method, const std::string& url, const RequestOptions& o = {});

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_HTTP_HTTP_FETCH_H_
