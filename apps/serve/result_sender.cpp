// C-STORE of a study's result files: see result_sender.h.
#include "apps/serve/result_sender.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/scu.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "apps/serve/association_policy.h"
#include "common/error.h"

namespace ihd::serve {
namespace {

namespace fs = std::filesystem;

std::string sop_class_of(DcmFileFormat& file) {
  OFString sop_class;
  file.getDataset()->findAndGetOFString(DCM_SOPClassUID, sop_class);
  return sop_class.c_str();
}

}  // namespace

Destination parse_destination(const std::string& text) {
  const std::size_t at = text.find('@');
  const std::size_t colon = text.rfind(':');
  IHD_CHECK_INPUT(at != std::string::npos && colon != std::string::npos && colon > at + 1,
                  "--send-to '", text, "': expected AE@HOST:PORT");
  Destination destination;
  destination.ae_title = checked_ae_title(text.substr(0, at), "--send-to");
  destination.host = text.substr(at + 1, colon - at - 1);
  const std::string port = text.substr(colon + 1);
  IHD_CHECK_INPUT(!port.empty() && port.size() <= 5 &&
                      port.find_first_not_of("0123456789") == std::string::npos &&
                      std::stoi(port) >= 1 && std::stoi(port) <= 65535,
                  "--send-to '", text, "': the port must be a number from 1 to 65535");
  destination.port = std::stoi(port);
  return destination;
}

std::string send_files(const Destination& destination, const std::string& calling_ae_title,
                       const std::vector<fs::path>& files, int timeout_seconds) {
  std::vector<std::unique_ptr<DcmFileFormat>> loaded;
  std::set<std::string> sop_classes;
  for (const fs::path& file : files) {
    auto dicom = std::make_unique<DcmFileFormat>();
    if (dicom->loadFile(file.c_str()).bad()) return file.string() + ": cannot read the result";
    sop_classes.insert(sop_class_of(*dicom));
    loaded.push_back(std::move(dicom));
  }
  DcmSCU scu;
  scu.setAETitle(calling_ae_title.c_str());
  scu.setPeerAETitle(destination.ae_title.c_str());
  scu.setPeerHostName(destination.host.c_str());
  scu.setPeerPort(static_cast<Uint16>(destination.port));
  scu.setACSETimeout(static_cast<Uint32>(timeout_seconds));
  scu.setDIMSETimeout(static_cast<Uint32>(timeout_seconds));
  scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  scu.setConnectionTimeout(timeout_seconds);
  OFList<OFString> syntaxes;
  syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
  syntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
  for (const std::string& sop_class : sop_classes) {
    scu.addPresentationContext(sop_class.c_str(), syntaxes);
  }
  const std::string peer =
      destination.ae_title + "@" + destination.host + ":" + std::to_string(destination.port);
  OFCondition condition = scu.initNetwork();
  if (condition.good()) condition = scu.negotiateAssociation();
  if (condition.bad()) return peer + ": no association: " + condition.text();
  std::string failure;
  for (std::size_t i = 0; i < loaded.size() && failure.empty(); ++i) {
    const std::string sop_class = sop_class_of(*loaded[i]);
    const T_ASC_PresentationContextID context =
        scu.findAnyPresentationContextID(sop_class.c_str(), "");
    if (context == 0) {
      failure = peer + ": accepts no presentation context for " + files[i].string();
      break;
    }
    Uint16 status = 0;
    condition = scu.sendSTORERequest(context, "", loaded[i]->getDataset(), status);
    if (condition.bad()) {
      failure = peer + ": C-STORE of " + files[i].string() + " failed: " + condition.text();
    } else if (status != STATUS_Success) {
      char code[16];
      std::snprintf(code, sizeof code, "0x%04x", status);
      failure = peer + ": C-STORE of " + files[i].string() + " answered status " + code;
    }
  }
  scu.releaseAssociation();
  return failure;
}

}  // namespace ihd::serve
