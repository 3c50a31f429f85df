// The node's TLS layer: see tls_layer.h.
#include "apps/serve/tls_layer.h"

#include "common/error.h"

namespace ihd::serve {
namespace {

void check(const OFCondition& condition, const std::string& file, const std::string& what) {
  if (condition.bad()) throw Error(ErrorKind::unreadable, file, what + ": " + condition.text());
}

}  // namespace

std::unique_ptr<DcmTLSTransportLayer> make_tls_layer(const TlsSettings& settings) {
  auto layer = std::make_unique<DcmTLSTransportLayer>(NET_ACCEPTOR, nullptr, OFTrue);
  IHD_CHECK_INPUT(static_cast<bool>(*layer), "cannot set up TLS (OpenSSL failed to initialise)");
  check(layer->setTLSProfile(TSP_Profile_BCP195), settings.certificate_file,
        "cannot select the BCP 195 TLS profile");
  check(layer->activateCipherSuites(), settings.certificate_file, "cannot set the cipher suites");
  check(layer->setPrivateKeyFile(settings.key_file.c_str(), DCF_Filetype_PEM), settings.key_file,
        "cannot load the TLS private key");
  check(layer->setCertificateFile(settings.certificate_file.c_str(), DCF_Filetype_PEM),
        settings.certificate_file, "cannot load the TLS certificate");
  if (!layer->checkPrivateKeyMatchesCertificate()) {
    throw Error(ErrorKind::bad_value, settings.key_file,
                "the private key does not match the certificate " + settings.certificate_file);
  }
  check(layer->addTrustedCertificateFile(settings.ca_file.c_str(), DCF_Filetype_PEM),
        settings.ca_file, "cannot load the trusted CA certificate");
  layer->setCertificateVerification(settings.require_peer_certificate ? DCV_requireCertificate
                                                                      : DCV_checkCertificate);
  return layer;
}

}  // namespace ihd::serve
