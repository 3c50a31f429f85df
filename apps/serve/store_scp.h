// The node's DICOM service: C-ECHO and C-STORE over DCMTK's dcmnet, one association per worker
// thread of a DcmSCPPool (DcmBaseSCPPool: one listening socket, at most --max-associations
// workers; an association beyond them is rejected with "local limit exceeded"). Threads rather
// than a process per association because the spool's counters, the study completion queue and
// the status are shared by every association, and dcmnet's pool gives each worker its own
// DcmSCP while the TLS layer and configuration are set up once.
//
// Per association: the called AE title must be the node's and the calling one allowed
// (association_policy.h). Per C-STORE: the data set is received into a file in the spool's
// .incoming/ folder exactly as sent (no DCMTK parse of untrusted bytes on the way in), decided on
// (instance_check.h), then stored (spool commit, study queue), ignored (not CT) or removed; only
// after that does the response go back: success, or "out of resources" (0xA700) or "cannot
// understand" (0xC000) with an Error Comment naming the reason. The association goes on.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/scppool.h>

#include <string>

#include "apps/serve/association_policy.h"
#include "apps/serve/instance_check.h"
#include "apps/serve/node_status.h"
#include "apps/serve/spool.h"
#include "apps/serve/study_queue.h"

namespace ihd::serve {

// What every association shares.
struct NodeContext {
  Spool& spool;
  StudyQueue& queue;
  NodeStatus& status;
  const AssociationPolicy& policy;
  InstanceLimits limits;
};

struct ScpSettings {
  int port = 11112;
  unsigned max_pdu_bytes = 65536;
  int max_associations = 16;
  int network_timeout_seconds = 60;  // ACSE and DIMSE: a silent peer loses its association
};

class StoreScpPool : public DcmBaseSCPPool {
 public:
  // Configures the presentation contexts (Verification; every image storage SOP class with the
  // transfer syntaxes the reader decodes), the port, the PDU size, timeouts and the number of
  // workers.
  StoreScpPool(NodeContext& context, const ScpSettings& settings);

 protected:
  DcmBaseSCPWorker* createSCPWorker() override;

 private:
  NodeContext& context_;
};

// The reason text of an Error Comment (0000,0902): at most 64 characters, only printable ASCII
// other than the backslash.
std::string error_comment_text(const std::string& reason);

}  // namespace ihd::serve
