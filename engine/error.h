// ihd::Error and IHD_CHECK: the one way the engine reports a broken contract or bad input.
// Messages are meant for users: say what was expected and what was found.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace ihd {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
// Joins any streamable arguments into one message.
template <typename... Parts>
std::string join_message(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

}  // namespace ihd

// IHD_CHECK(condition, message parts...): throws ihd::Error naming the failed condition and where
// it is checked (for broken contracts inside the library).
#define IHD_CHECK(condition, ...)                                                           \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      throw ::ihd::Error(::ihd::detail::join_message(__VA_ARGS__, " [", #condition, " at ", \
                                                     __FILE__, ":", __LINE__, "]"));        \
    }                                                                                       \
  } while (0)

// IHD_CHECK_INPUT(condition, message parts...): throws ihd::Error with the message alone, for
// checks of a user's files and flags whose message already says what is wrong and what to do.
#define IHD_CHECK_INPUT(condition, ...)                             \
  do {                                                              \
    if (!(condition)) {                                             \
      throw ::ihd::Error(::ihd::detail::join_message(__VA_ARGS__)); \
    }                                                               \
  } while (0)
