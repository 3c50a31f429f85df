// TLS for the node's associations (DCMTK's dcmtls over OpenSSL): the node's private key and
// certificate (PEM), the CA whose certificates it trusts, and whether a peer must present a
// certificate signed by that CA (required: mutual TLS) or may connect without one (optional; a
// certificate presented is still verified). With TLS on, every association is TLS: a plain one
// fails at the handshake. The profile is BCP 195 (TLS 1.2 or later, strong cipher suites), the
// default of DCMTK's own storescu and echoscu.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmtls/tlslayer.h>

#include <memory>
#include <string>

namespace ihd::serve {

struct TlsSettings {
  std::string key_file;
  std::string certificate_file;
  std::string ca_file;
  bool require_peer_certificate = true;
};

// Throws Error naming the file and OpenSSL's reason when a file cannot be loaded or the key does
// not match the certificate.
std::unique_ptr<DcmTLSTransportLayer> make_tls_layer(const TlsSettings& settings);

}  // namespace ihd::serve
