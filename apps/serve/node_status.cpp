// The node's counters and their JSON and one-line forms: see node_status.h.
#include "apps/serve/node_status.h"

#include <algorithm>
#include <cstdio>

#include "common/atomic_file.h"
#include "common/json.h"

namespace ihd::serve {
namespace {

std::uint64_t total(const std::map<std::string, std::uint64_t>& counts) {
  std::uint64_t sum = 0;
  for (const auto& [reason, count] : counts) sum += count;
  return sum;
}

std::string json_counts(const std::map<std::string, std::uint64_t>& counts) {
  std::string text = "{";
  for (const auto& [reason, count] : counts) {
    if (text.size() > 1) text += ", ";
    text += json_quote(reason) + ": " + std::to_string(count);
  }
  return text + "}";
}

}  // namespace

void NodeStatus::association_accepted() {
  std::lock_guard lock(mutex_);
  ++associations_accepted_;
  ++version_;
}

void NodeStatus::association_rejected(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++associations_rejected_[reason];
  ++version_;
}

void NodeStatus::echo_answered() {
  std::lock_guard lock(mutex_);
  ++echoes_;
  ++version_;
}

void NodeStatus::instance_received() {
  std::lock_guard lock(mutex_);
  ++received_;
  ++version_;
}

void NodeStatus::instance_stored() {
  std::lock_guard lock(mutex_);
  ++stored_;
  ++version_;
}

void NodeStatus::instance_duplicate() {
  std::lock_guard lock(mutex_);
  ++duplicates_;
  ++version_;
}

void NodeStatus::instance_refused(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++refused_[reason];
  ++version_;
}

void NodeStatus::instance_not_ct() {
  std::lock_guard lock(mutex_);
  ++not_ct_;
  ++version_;
}

void NodeStatus::study_done(double seconds_after_last_instance) {
  std::lock_guard lock(mutex_);
  ++studies_done_;
  last_latency_seconds_ = seconds_after_last_instance;
  max_latency_seconds_ = std::max(max_latency_seconds_, seconds_after_last_instance);
  total_latency_seconds_ += seconds_after_last_instance;
  ++version_;
}

void NodeStatus::study_failed() {
  std::lock_guard lock(mutex_);
  ++studies_failed_;
  ++version_;
}

void NodeStatus::send_failed() {
  std::lock_guard lock(mutex_);
  ++sends_failed_;
  ++version_;
}

void NodeStatus::set_studies_pending(std::uint64_t studies) {
  std::lock_guard lock(mutex_);
  if (studies_pending_ == studies) return;
  studies_pending_ = studies;
  ++version_;
}

void NodeStatus::set_state(const std::string& state) {
  std::lock_guard lock(mutex_);
  state_ = state;
  ++version_;
}

std::string NodeStatus::json() const {
  std::lock_guard lock(mutex_);
  const double mean_latency =
      studies_done_ == 0 ? 0 : total_latency_seconds_ / static_cast<double>(studies_done_);
  std::string text = "{\n";
  text += "  \"state\": " + json_quote(state_) + ",\n";
  text += "  \"associations_accepted\": " + std::to_string(associations_accepted_) + ",\n";
  text += "  \"associations_rejected\": " + json_counts(associations_rejected_) + ",\n";
  text += "  \"echoes\": " + std::to_string(echoes_) + ",\n";
  text += "  \"received\": " + std::to_string(received_) + ",\n";
  text += "  \"stored\": " + std::to_string(stored_) + ",\n";
  text += "  \"duplicates\": " + std::to_string(duplicates_) + ",\n";
  text += "  \"refused\": " + json_counts(refused_) + ",\n";
  text += "  \"not_ct_ignored\": " + std::to_string(not_ct_) + ",\n";
  text += "  \"studies_done\": " + std::to_string(studies_done_) + ",\n";
  text += "  \"studies_failed\": " + std::to_string(studies_failed_) + ",\n";
  text += "  \"sends_failed\": " + std::to_string(sends_failed_) + ",\n";
  text += "  \"studies_pending\": " + std::to_string(studies_pending_) + ",\n";
  text += "  \"result_latency_seconds\": {\"last\": " + json_number(last_latency_seconds_) +
          ", \"mean\": " + json_number(mean_latency) +
          ", \"max\": " + json_number(max_latency_seconds_) + "}\n";
  return text + "}\n";
}

std::string NodeStatus::line() const {
  std::lock_guard lock(mutex_);
  char latency[64] = "";
  if (studies_done_ > 0) {
    std::snprintf(latency, sizeof latency, "; last result %.2f s after its last instance",
                  last_latency_seconds_);
  }
  return "received " + std::to_string(received_) + " (stored " + std::to_string(stored_) +
         ", duplicates " + std::to_string(duplicates_) + ", refused " +
         std::to_string(total(refused_)) + ", not CT " + std::to_string(not_ct_) + "); studies " +
         std::to_string(studies_done_) + " done, " + std::to_string(studies_failed_) + " failed" +
         latency;
}

void NodeStatus::publish(const std::filesystem::path& path) {
  if (path.empty()) return;
  std::uint64_t version = 0;
  {
    std::lock_guard lock(mutex_);
    if (version_ == published_version_) return;
    version = version_;
  }
  write_file_atomically(path, json());
  std::lock_guard lock(mutex_);
  published_version_ = version;
}

}  // namespace ihd::serve
