// What the node tests share: a free TCP port, ihd_serve started as a child process and waited
// for until its port accepts connections (polled, with a generous limit; never a fixed sleep),
// DCMTK's storescu and echoscu run as peers, the status file read back through the project's JSON
// reader, synthetic studies from ihd_synth, and the instance files under the spool.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "reliability/child_process.h"
#include "reliability/reliability_util.h"

namespace ihd::serve_test {

namespace fs = std::filesystem;
using reliability::read_bytes;
using reliability::write_bytes;

inline std::string tool(const std::string& name) {
  return std::string(IHD_TOOL_DIR) + "/" + name;
}

inline fs::path scratch_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("ihd_serve_tests." + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A port nobody listens on now: the kernel's choice for a socket bound to port 0.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

inline bool port_accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

// Polls `condition` every 50 ms for up to `limit`; returns whether it became true.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::seconds limit = std::chrono::seconds(120)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// One ihd_serve child process, with the tiny model the fixture test trained and a half-second
// study idle time (later flags override both). Killed (SIGKILL) if the test leaves it running.
class Node {
 public:
  // `fault_kill`: IHD_FAULT_KILL for the first start (common/fault_injection.h).
  Node(const fs::path& folder, int port, std::vector<std::string> extra_arguments,
       const std::string& fault_kill = "")
      : folder_(folder), port_(port) {
    arguments_ = {tool("ihd_serve"),
                  "--model=" + std::string(IHD_SERVE_TEST_MODEL),
                  "--study-idle-seconds=0.5",
                  "--port=" + std::to_string(port),
                  "--spool=" + (folder / "spool").string(),
                  "--out=" + (folder / "out").string(),
                  "--status-file=" + status_file().string()};
    arguments_.insert(arguments_.end(), extra_arguments.begin(), extra_arguments.end());
    start(fault_kill);
  }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node() {
    if (pid_ > 0) kill(SIGKILL);
  }

  // Starts (again, after a stop or a kill; `later` adds flags, which override earlier ones) and
  // waits until the port accepts connections.
  void start(const std::string& fault_kill = "", const std::vector<std::string>& later = {}) {
    std::vector<std::string> arguments = arguments_;
    arguments.insert(arguments.end(), later.begin(), later.end());
    pid_ = reliability::start_process(arguments, log(), fault_kill);
    const bool ready = eventually([&] { return !running() ? true : port_accepts(port_); });
    CAPTURE(read_bytes(log()));
    REQUIRE(ready);
    REQUIRE(running());
  }

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      pid_ = -1;
      return false;
    }
    return true;
  }

  // Sends `signal` and waits for the end; returns the exit code (or -signal).
  int kill(int signal) {
    REQUIRE(pid_ > 0);
    ::kill(pid_, signal);
    exit_code_ = reliability::wait_for(pid_);
    pid_ = -1;
    return exit_code_;
  }

  // Waits for the node to end by itself; returns the exit code (or -signal).
  int wait_for_exit() {
    REQUIRE(pid_ > 0);
    exit_code_ = reliability::wait_for(pid_);
    pid_ = -1;
    return exit_code_;
  }

  int port() const { return port_; }
  fs::path log() const { return folder_ / "node.log"; }
  fs::path status_file() const { return folder_ / "status.json"; }
  fs::path spool() const { return folder_ / "spool"; }
  fs::path out() const { return folder_ / "out"; }

 private:
  fs::path folder_;
  int port_;
  std::vector<std::string> arguments_;
  pid_t pid_ = -1;
  int exit_code_ = 0;
};

struct PeerRun {
  int exit_code = 0;
  std::string output;
};

// Runs a peer (storescu, echoscu...) to its end.
inline PeerRun run_peer(const std::vector<std::string>& arguments, const fs::path& log) {
  fs::remove(log);
  const int exit_code = reliability::wait_for(reliability::start_process(arguments, log));
  return {exit_code, read_bytes(log)};
}

inline std::vector<std::string> storescu(int port, const std::string& calling_ae,
                                         const std::vector<std::string>& extra) {
  std::vector<std::string> arguments = {IHD_STORESCU, "-v",   "-nh",      "-aet",
                                        calling_ae,   "-aec", "IHD_SERVE"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  arguments.push_back("127.0.0.1");
  arguments.push_back(std::to_string(port));
  return arguments;
}

// The status file's numbers, nested keys joined by '.' ("refused.too_large"); empty when the file
// is not there yet.
inline std::map<std::string, double> read_status(const fs::path& file) {
  std::map<std::string, double> values;
  if (!fs::exists(file)) return values;
  const std::string text = read_bytes(file);
  JsonReader reader(text, {.label = file.string(), .max_bytes = 1 << 20, .max_depth = 4});
  std::vector<std::string> keys;
  std::string key;
  for (JsonEvent event = reader.next(); event != JsonEvent::end_of_document;
       event = reader.next()) {
    if (event == JsonEvent::key) {
      key = reader.text();
    } else if (event == JsonEvent::begin_object) {
      if (!key.empty()) keys.push_back(key);
      key.clear();
    } else if (event == JsonEvent::end_object) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == JsonEvent::number) {
      std::string name;
      for (const std::string& part : keys) name += part + ".";
      values[name + key] = reader.finite_double(key);
    }
  }
  return values;
}

inline double status_value(const Node& node, const std::string& name) {
  const auto values = read_status(node.status_file());
  const auto found = values.find(name);
  return found == values.end() ? 0 : found->second;
}

// Waits until the status says `name` reached `value` (or more).
inline bool status_reaches(const Node& node, const std::string& name, double value) {
  return eventually([&] { return status_value(node, name) >= value; });
}

// Waits until the node has stored `instances` and has no study without up-to-date results.
inline bool all_studies_finished(const Node& node, double instances) {
  return eventually([&] {
    const auto values = read_status(node.status_file());
    const auto stored = values.find("stored"), pending = values.find("studies_pending");
    return stored != values.end() && stored->second >= instances && pending != values.end() &&
           pending->second == 0;
  });
}

// ihd_synth's synthetic set of `patients` studies (one series each) of `slices` slices.
inline std::vector<fs::path> synthetic_studies(const fs::path& folder, int patients, int slices,
                                               int size = 32) {
  const PeerRun run = run_peer(
      {tool("ihd_synth"), "--out=" + folder.string(), "--patients=" + std::to_string(patients),
       "--slices-per-patient=" + std::to_string(slices), "--size=" + std::to_string(size),
       "--quiet"},
      folder.parent_path() / (folder.filename().string() + ".log"));
  REQUIRE(run.exit_code == 0);
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.path().extension() == ".dcm") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The files rewritten by pydicom with valid UIDs (2.25.<number>, one per old UID) into `folder`,
// each named <its SOP instance UID>.dcm so that ihd_predict's IDs are the SOP instance UIDs.
// (ihd_synth's RSNA-like "ID_..." UIDs are not valid UIDs: the SR and SC writers refuse them.)
inline std::vector<fs::path> with_valid_uids(const std::vector<fs::path>& files,
                                             const fs::path& folder) {
  fs::create_directories(folder);
  std::vector<std::string> arguments = {
      "/usr/bin/python3", "-c",
      "import sys, hashlib, pydicom\n"
      "def uid(old):\n"
      "    return '2.25.' + str(int(hashlib.sha256(old.encode()).hexdigest()[:30], 16))\n"
      "out = sys.argv[1]\n"
      "for name in sys.argv[2:]:\n"
      "    d = pydicom.dcmread(name)\n"
      "    for key in ('StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'):\n"
      "        setattr(d, key, uid(getattr(d, key)))\n"
      "    d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID\n"
      "    d.save_as(f'{out}/{d.SOPInstanceUID}.dcm')\n"
      "    print('FILE', f'{out}/{d.SOPInstanceUID}.dcm')\n",
      folder.string()};
  for (const fs::path& file : files) arguments.push_back(file.string());
  const fs::path log = folder.parent_path() / (folder.filename().string() + ".log");
  fs::remove(log);
  const int exit_code = reliability::wait_for(reliability::start_process(arguments, log));
  const std::string output = read_bytes(log);
  CAPTURE(output);
  REQUIRE(exit_code == 0);
  std::vector<fs::path> rewritten;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("FILE ")) rewritten.emplace_back(line.substr(5));
  }
  REQUIRE(rewritten.size() == files.size());
  return rewritten;
}

// The instance files in the spool, by their path relative to it.
inline std::set<std::string> spooled_instances(const fs::path& spool) {
  std::set<std::string> files;
  if (!fs::exists(spool)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(spool)) {
    const std::string relative = fs::relative(entry.path(), spool).string();
    if (entry.is_regular_file() && entry.path().extension() == ".dcm" &&
        !relative.starts_with(".incoming")) {
      files.insert(relative);
    }
  }
  return files;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace ihd::serve_test
