// ihd_serve: the DICOM triage node. A C-ECHO and C-STORE service provider (apps/serve/
// store_scp.h) that writes every instance it acknowledges into a spool by study and series
// (apps/serve/spool.h: fsynced and renamed into place before the response says success), refuses
// per instance what breaks the reading rules of data/dicom_reader.h (the association goes on),
// ignores and counts what is not CT, and rejects at association the calling AE titles not on
// --allow-ae. With --tls the associations are TLS (apps/serve/tls_layer.h). A study is complete
// when no instance has arrived for it for --study-idle-seconds (apps/serve/study_queue.h); the
// model of --model then runs on it (both stages when the run has them) and its results are
// written: the SR and SC files under --out/<study UID>/, the worklist (--out/worklist.json and
// .csv, most urgent first), and with --send-to the SR and SC C-STOREd to a viewer or archive
// (apps/serve/study_results.h). --status-file is rewritten atomically with what the node received,
// stored, refused and finished; stdout gets a one-line status as that changes.
//
// After a crash the node starts where it stopped: what was being received was never
// acknowledged and is dropped, and the studies of the spool without results are finished.
// SIGINT or SIGTERM stops it: no new association is accepted, the ones open end (the instance
// being written is finished), and it exits 0; a second signal ends it at once.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

#include "apps/pipeline/dicom_report.h"     // probability_text
#include "apps/pipeline/flags.h"            // FlagSet, UsageError, kUsageExitCode
#include "apps/serve/association_policy.h"  // AssociationPolicy
#include "apps/serve/node_status.h"         // NodeStatus
#include "apps/serve/spool.h"               // Spool
#include "apps/serve/store_scp.h"           // StoreScpPool, NodeContext, ScpSettings
#include "apps/serve/study_queue.h"         // StudyQueue
#include "apps/serve/study_results.h"       // StudyProcessor, ModelSettings, parse_destination
#include "apps/serve/tls_layer.h"           // make_tls_layer
#include "common/console.h"                 // line_buffer_stdout
#include "common/error.h"                   // ihd::Error
#include "engine/device.h"                  // device_refusal

namespace {

using namespace ihd::pipeline;
using namespace ihd::serve;
namespace fs = std::filesystem;

struct ServeOptions {
  int port = 11112;
  std::string ae_title = "IHD_SERVE";
  std::string allow_ae;
  std::string spool;
  std::string out;
  std::string status_file;
  double study_idle_seconds = 30;
  int max_associations = 16;
  int max_pdu = 65536;
  int max_instance_mb = 512;
  int max_spool_mb = 10240;
  int network_timeout_seconds = 60;
  std::string tls = "off";
  std::string tls_key;
  std::string tls_cert;
  std::string tls_ca;
  std::string send_to;
  ModelSettings model;
};

// The signal that asked the node to stop (0 while none has). A handler rather than sigwait():
// threads that start before main() (OpenBLAS's) would not have the signals blocked.
std::atomic<int> stop_requested{0};

extern "C" void on_stop_signal(int signal) {
  if (stop_requested.exchange(signal) != 0) ::_exit(128 + signal);
  static const char notice[] =
      "ihd_serve: stopping: no new associations, the open ones end; again to stop at once\n";
  const ssize_t ignored = ::write(STDERR_FILENO, notice, sizeof notice - 1);
  (void)ignored;
}

// Runs the model on a complete study and writes (and sends) its results; a failure is the
// study's, reported and counted, and the node goes on.
void finish_study(const StudyQueue::Ticket& study, const Spool& spool, StudyQueue& queue,
                  StudyProcessor& processor, NodeStatus& status) {
  try {
    const StudyOutcome outcome =
        processor.process(study.study_uid, spool.instance_files(study.study_uid));
    const double latency_seconds =
        std::chrono::duration<double>(StudyQueue::Clock::now() - study.last_arrival).count();
    if (!outcome.results_error.empty()) {
      std::fprintf(stderr, "ihd_serve: no SR/SC for study %s: %s\n", study.study_uid.c_str(),
                   outcome.results_error.c_str());
    }
    if (!outcome.send_error.empty()) {
      std::fprintf(stderr, "ihd_serve: results of study %s not sent: %s\n", study.study_uid.c_str(),
                   outcome.send_error.c_str());
      status.send_failed();
    }
    if (outcome.predicted) {
      status.study_done(latency_seconds);
      std::printf("ihd_serve: study %s: probability %s, results %.2f s after its last instance\n",
                  study.study_uid.c_str(),
                  ihd::pipeline::probability_text(outcome.probability).c_str(), latency_seconds);
    } else {
      std::fprintf(stderr, "ihd_serve: study %s: no instance could be scored\n",
                   study.study_uid.c_str());
      status.study_failed();
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_serve: study %s failed: %s\n", study.study_uid.c_str(), error.what());
    status.study_failed();
  }
  queue.finished(study);
}

}  // namespace

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal : {SIGINT, SIGTERM}) ::sigaction(signal, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a peer that goes away is an error on its association only
  ServeOptions options;
  FlagSet flags("ihd_serve", "--allow-ae AE[,AE...] --spool DIR --out DIR [flags]",
                "The DICOM triage node: receives CT studies by C-STORE into a spool and finishes "
                "each study once no instance has arrived for it for a while.");
  flags.group("model");
  flags.add("model", options.model.model, "RUN_DIR|FILE",
            "training run folder or .safetensors checkpoint (required)");
  flags.add("slice-only", options.model.slice_only,
            "use the slice model even if the run has a sequence stage");
  flags.add("device", options.model.device, "cpu|cuda[:N]", "where to run the model")
      .validated_by(ihd::device_refusal);
  flags.add("batch", options.model.batch, "N", "images per forward pass").range(1, 65536);
  flags.group("network");
  flags.add("port", options.port, "N", "TCP port to listen on").range(1, 65535);
  flags.add("ae-title", options.ae_title, "AE", "the node's AE title (the called AE title)");
  flags
      .add("max-associations", options.max_associations, "N",
           "associations served at once; more are rejected")
      .range(1, 1024);
  flags.add("max-pdu", options.max_pdu, "BYTES", "largest PDU the node receives")
      .range(4096, 131072);
  flags
      .add("network-timeout", options.network_timeout_seconds, "S",
           "seconds a peer may stay silent inside an association")
      .range(1, 3600);
  flags.add("send-to", options.send_to, "AE@HOST:PORT",
            "C-STORE each study's SR and SC files there (a viewer or archive)");
  flags.group("security");
  flags.add("allow-ae", options.allow_ae, "AE[,AE...]|*",
            "calling AE titles accepted (required; * accepts any)");
  flags
      .add("tls", options.tls, "",
           "TLS: off, required (peers need a certificate of --tls-ca) "
           "or optional (a peer's certificate is checked if it has one)")
      .choices({"off", "required", "optional"});
  flags.add("tls-key", options.tls_key, "FILE", "the node's private key (PEM)");
  flags.add("tls-cert", options.tls_cert, "FILE", "the node's certificate (PEM)");
  flags.add("tls-ca", options.tls_ca, "FILE", "the CA certificate peers are checked against (PEM)");
  flags.group("limits");
  flags
      .add("max-instance-mb", options.max_instance_mb, "MB",
           "refuse instances larger than this (MiB)")
      .range(1, 1 << 20);
  flags
      .add("max-spool-mb", options.max_spool_mb, "MB",
           "refuse instances once the spool holds this much (MiB)")
      .range(1, 1 << 30);
  flags
      .add("max-image-side", options.model.max_image_side, "PX",
           "refuse DICOM files with Rows or Columns above this")
      .range(1, 65535);
  flags
      .add("max-decoded-mb", options.model.max_decoded_mb, "MB",
           "refuse DICOM pixel data that decodes or inflates to more MiB than this")
      .range(1, 1 << 20);
  flags.group("studies and output");
  flags.add("spool", options.spool, "DIR", "where received instances are kept (required)");
  flags.add("out", options.out, "DIR", "where results are written (required)");
  flags
      .add("study-idle-seconds", options.study_idle_seconds, "S",
           "a study is complete when no instance has arrived for it for this long")
      .above(0);
  flags.add("status-file", options.status_file, "FILE",
            "JSON status, rewritten atomically as it changes");
  flags.example(
      "ihd_serve --model runs/latest --allow-ae PACS --spool /var/spool/ihd --out /srv/ihd",
      "listen on port 11112 as IHD_SERVE, accepting associations from PACS only");
  flags.example(
      "ihd_serve --model runs/latest --allow-ae PACS --send-to VIEWER@10.0.0.5:104 --tls "
      "required --tls-key node.key --tls-cert node.crt --tls-ca ca.crt --spool spool --out out",
      "over TLS, peers authenticated by ca.crt's certificates; results sent to VIEWER");
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (!flags.positional().empty()) {
      throw UsageError("unexpected argument '" + flags.positional().front() + "'");
    }
    if (options.model.model.empty()) throw UsageError("--model is required (see --help)");
    if (options.allow_ae.empty()) {
      throw UsageError("--allow-ae is required: the calling AE titles to accept, or * for any");
    }
    if (options.spool.empty()) throw UsageError("--spool is required");
    if (options.out.empty()) throw UsageError("--out is required");
    const bool tls = options.tls != "off";
    if (tls && (options.tls_key.empty() || options.tls_cert.empty() || options.tls_ca.empty())) {
      throw UsageError("--tls " + options.tls + " needs --tls-key, --tls-cert and --tls-ca");
    }
    if (!tls && !(options.tls_key.empty() && options.tls_cert.empty() && options.tls_ca.empty())) {
      throw UsageError("--tls-key, --tls-cert and --tls-ca need --tls required or optional");
    }
    std::optional<Destination> destination;
    const AssociationPolicy policy = [&] {
      try {
        if (!options.send_to.empty()) destination = parse_destination(options.send_to);
        return AssociationPolicy(options.ae_title, options.allow_ae);
      } catch (const ihd::Error& error) {
        throw UsageError(error.what());
      }
    }();
    StudyProcessor processor(options.model, options.out, destination, policy.node_ae_title(),
                             options.network_timeout_seconds);

    Spool spool(options.spool);
    NodeStatus status;
    StudyQueue queue(spool, std::chrono::duration_cast<StudyQueue::Clock::duration>(
                                std::chrono::duration<double>(options.study_idle_seconds)));
    const std::vector<std::string> unfinished = spool.unfinished_studies();
    for (const std::string& study : unfinished) queue.restore(study);
    if (!unfinished.empty()) {
      std::printf("ihd_serve: %zu studies in the spool without results; finishing them\n",
                  unfinished.size());
    }

    InstanceLimits limits;
    limits.max_instance_bytes = static_cast<std::uint64_t>(options.max_instance_mb) << 20;
    limits.max_spool_bytes = static_cast<std::uint64_t>(options.max_spool_mb) << 20;
    limits.dicom.max_rows_or_columns = options.model.max_image_side;
    limits.dicom.max_decoded_bytes = static_cast<std::uint64_t>(options.model.max_decoded_mb) << 20;
    NodeContext context{spool, queue, status, policy, limits};
    ScpSettings settings;
    settings.port = options.port;
    settings.max_pdu_bytes = static_cast<unsigned>(options.max_pdu);
    settings.max_associations = options.max_associations;
    settings.network_timeout_seconds = options.network_timeout_seconds;
    StoreScpPool pool(context, settings);
    std::unique_ptr<DcmTLSTransportLayer> tls_layer;
    if (tls) {
      tls_layer = make_tls_layer({.key_file = options.tls_key,
                                  .certificate_file = options.tls_cert,
                                  .ca_file = options.tls_ca,
                                  .require_peer_certificate = options.tls == "required"});
      pool.getConfig().setTransportLayer(tls_layer.get());
    }

    OFCondition listened = EC_Normal;
    std::atomic<bool> listening_ended{false};
    std::thread listener([&] {
      listened = pool.listen();
      listening_ended = true;
    });
    std::printf("ihd_serve: %s listening on port %d%s, spool %s, results %s; model %s\n",
                policy.node_ae_title().c_str(), options.port, tls ? " (TLS)" : "",
                options.spool.c_str(), options.out.c_str(), processor.description().c_str());
    status.set_state("listening");
    std::string last_line;
    bool stopping = false;
    while (!listening_ended) {
      if (stop_requested && !stopping) {
        pool.stopAfterCurrentAssociations();
        status.set_state("stopping");
        stopping = true;
      }
      if (std::optional<StudyQueue::Ticket> study =
              queue.take_complete(std::chrono::milliseconds(200))) {
        finish_study(*study, spool, queue, processor, status);
      }
      status.set_studies_pending(queue.unfinished());
      status.publish(options.status_file);
      const std::string line = status.line();
      if (line != last_line) std::printf("ihd_serve: %s\n", line.c_str());
      last_line = line;
    }
    listener.join();
    status.set_state(stop_requested ? "stopped" : "failed");
    status.publish(options.status_file);
    if (listened.bad() || !stop_requested) {
      throw ihd::Error(std::string("the DICOM listener ended: ") + listened.text());
    }
    std::printf("ihd_serve: stopped; %s\n", status.line().c_str());
    return 0;
  } catch (const UsageError& error) {
    std::fprintf(stderr, "ihd_serve: error: %s\n", error.what());
    return kUsageExitCode;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_serve: error: %s\n", error.what());
    return 1;
  }
}
