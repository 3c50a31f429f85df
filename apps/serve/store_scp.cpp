// The C-ECHO / C-STORE worker and its pool: see store_scp.h.
#include "apps/serve/store_scp.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/scpthrd.h>

#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "common/fault_injection.h"

namespace ihd::serve {
namespace {

namespace fs = std::filesystem;

// Most preferred first; the transfer syntaxes data/dicom_reader.h decodes.
const char* const kTransferSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_RLELosslessTransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEG2000TransferSyntax,
};

class StoreScp : public DcmThreadSCP {
 public:
  explicit StoreScp(NodeContext& context) : context_(context) {}

 protected:
  OFBool checkCalledAETitleAccepted(const OFString& called) override {
    const bool accepted = context_.policy.accepts_called(called.c_str());
    if (!accepted) reject("called AE title not the node's", called);
    return accepted;
  }

  OFBool checkCallingAETitleAccepted(const OFString& calling) override {
    calling_ae_title_ = calling.c_str();
    const bool accepted = context_.policy.accepts_calling(calling_ae_title_);
    if (!accepted) reject("calling AE title not allowed", calling);
    return accepted;
  }

  void notifyAssociationAcknowledge() override { context_.status.association_accepted(); }

  OFCondition handleECHORequest(T_DIMSE_C_EchoRQ& request,
                                const T_ASC_PresentationContextID presentation_id) override {
    const OFCondition result = DcmThreadSCP::handleECHORequest(request, presentation_id);
    if (result.good()) context_.status.echo_answered();
    return result;
  }

  OFCondition handleIncomingCommand(T_DIMSE_Message* message,
                                    const DcmPresentationContextInfo& presentation) override {
    if (message->CommandField != DIMSE_C_STORE_RQ) {
      return DcmThreadSCP::handleIncomingCommand(message, presentation);
    }
    return handle_store(message->msg.CStoreRQ, presentation.presentationContextID);
  }

 private:
  void reject(const std::string& reason, const OFString& title) {
    context_.status.association_rejected(reason);
    std::fprintf(stderr, "ihd_serve: association rejected: %s ('%s')\n", reason.c_str(),
                 error_comment_text(title.c_str()).c_str());
  }

  OFCondition handle_store(T_DIMSE_C_StoreRQ& request, T_ASC_PresentationContextID presentation) {
    context_.status.instance_received();
    const std::string sop_class = request.AffectedSOPClassUID;
    const std::string sop_instance = request.AffectedSOPInstanceUID;
    const fs::path incoming = context_.spool.incoming_path();
    const OFCondition received = receiveSTORERequest(request, presentation, incoming.c_str());
    if (received.bad()) {
      // The association is broken: nothing was acknowledged, nothing is kept.
      std::error_code ignored;
      fs::remove(incoming, ignored);
      context_.status.instance_refused("receive_failed");
      return received;
    }
    fault_point("serve-received");  // in .incoming, neither committed nor acknowledged
    const InstanceDecision decision = decide_instance(
        incoming, sop_class, sop_instance, context_.spool.stored_bytes(), context_.limits);
    Uint16 status = STATUS_Success;
    std::string reason_kind = decision.reason_kind, reason = decision.reason;
    switch (decision.verdict) {
      case InstanceVerdict::store:
        try {
          store(incoming, decision.metadata);
        } catch (const Error& failure) {
          status = STATUS_STORE_Refused_OutOfResources;
          reason_kind = std::string(to_string(failure.kind()));
          reason = failure.reason();
        }
        break;
      case InstanceVerdict::not_ct:
        context_.status.instance_not_ct();
        break;
      case InstanceVerdict::refuse:
        status = STATUS_STORE_Error_CannotUnderstand;
        break;
      case InstanceVerdict::out_of_room:
        status = STATUS_STORE_Refused_OutOfResources;
        break;
    }
    if (decision.verdict != InstanceVerdict::store) {
      std::error_code ignored;
      fs::remove(incoming, ignored);
    }
    fault_point("serve-decided");  // committed (when stored), not yet acknowledged
    if (status == STATUS_Success) {
      return sendSTOREResponse(presentation, request.MessageID, sop_class.c_str(),
                               sop_instance.c_str(), status);
    }
    context_.status.instance_refused(reason_kind);
    std::fprintf(stderr, "ihd_serve: refused instance %s from %s: %s: %s\n",
                 error_comment_text(sop_instance).c_str(),
                 error_comment_text(calling_ae_title_).c_str(), reason_kind.c_str(),
                 reason.c_str());
    DcmDataset detail;
    detail.putAndInsertString(DCM_ErrorComment,
                              error_comment_text(reason_kind + ": " + reason).c_str());
    return sendSTOREResponse(presentation, request.MessageID, sop_class.c_str(),
                             sop_instance.c_str(), status, &detail);
  }

  // Commits a checked instance; throws Error (bad UID, file system failure) before the response.
  void store(const fs::path& incoming, const data::DicomMetadata& metadata) {
    const std::string& study = metadata.study_instance_uid;
    context_.queue.instance_arriving(study);
    CommitOutcome outcome;
    try {
      outcome = context_.spool.commit(incoming, study, metadata.series_instance_uid,
                                      metadata.sop_instance_uid);
    } catch (...) {
      context_.queue.instance_arrived(study);
      throw;
    }
    context_.queue.instance_arrived(study);
    if (outcome == CommitOutcome::stored) {
      context_.status.instance_stored();
    } else {
      context_.status.instance_duplicate();
    }
  }

  NodeContext& context_;
  std::string calling_ae_title_;
};

// DcmSCPPool's worker, with a constructor that hands the worker the node's context.
class StoreScpWorker : public DcmBaseSCPPool::DcmBaseSCPWorker, private StoreScp {
 public:
  StoreScpWorker(DcmBaseSCPPool& pool, NodeContext& context)
      : DcmBaseSCPWorker(pool), StoreScp(context) {}

  OFCondition setSharedConfig(const DcmSharedSCPConfig& config) override {
    return StoreScp::setSharedConfig(config);
  }
  OFBool busy() override { return StoreScp::isConnected(); }

 protected:
  OFCondition workerListen(T_ASC_Association* const association) override {
    return StoreScp::run(association);
  }
};

}  // namespace

std::string error_comment_text(const std::string& reason) {
  std::string text;
  for (const char c : reason) {
    if (text.size() == 64) break;
    const auto byte = static_cast<unsigned char>(c);
    text += (byte < 0x20 || byte > 0x7e || c == '\\') ? '?' : c;
  }
  return text;
}

StoreScpPool::StoreScpPool(NodeContext& context, const ScpSettings& settings) : context_(context) {
  DcmSCPConfig& config = getConfig();
  config.setAETitle(context.policy.node_ae_title().c_str());
  config.setPort(static_cast<Uint16>(settings.port));
  config.setMaxReceivePDULength(settings.max_pdu_bytes);
  config.setHostLookupEnabled(OFFalse);
  config.setACSETimeout(static_cast<Uint32>(settings.network_timeout_seconds));
  config.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  config.setDIMSETimeout(static_cast<Uint32>(settings.network_timeout_seconds));
  // Non-blocking accept with a 1 s timeout: the listen loop looks at a stop request every second.
  config.setConnectionBlockingMode(DUL_NOBLOCK);
  config.setConnectionTimeout(1);
  OFList<OFString> verification;
  verification.push_back(UID_LittleEndianExplicitTransferSyntax);
  verification.push_back(UID_LittleEndianImplicitTransferSyntax);
  IHD_CHECK(config.addPresentationContext(UID_VerificationSOPClass, verification).good(),
            "cannot add the Verification presentation context");
  OFList<OFString> storage;
  for (const char* syntax : kTransferSyntaxes) storage.push_back(syntax);
  // Image storage only: DCMTK's profiles hold at most 128 presentation contexts, fewer than the
  // storage SOP classes; an SR or other non-image object is refused at negotiation.
  for (int i = 0; i < numberOfDcmImageSOPClassUIDs; ++i) {
    IHD_CHECK(config.addPresentationContext(dcmImageSOPClassUIDs[i], storage).good(),
              "cannot add the presentation context of ", dcmImageSOPClassUIDs[i]);
  }
  setMaxThreads(static_cast<Uint16>(settings.max_associations));
}

DcmBaseSCPPool::DcmBaseSCPWorker* StoreScpPool::createSCPWorker() {
  return new StoreScpWorker(*this, context_);
}

}  // namespace ihd::serve
