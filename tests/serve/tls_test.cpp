// TLS, with a test CA and certificates made here by openssl: with --tls required, storescu and
// echoscu over TLS with a certificate of that CA are served, while a plain association, an
// anonymous TLS one (no client certificate) and one with a certificate of another CA are refused;
// with --tls optional the anonymous one is served too, the others as before.
#include <doctest/doctest.h>

#include "serve_test_util.h"

namespace ihd::serve_test {
namespace {

// ca.crt/key, and node, client (signed by ca) and stranger (signed by other_ca) keys and
// certificates, in `folder`.
void make_certificates(const fs::path& folder) {
  const std::string openssl = IHD_OPENSSL;
  const std::string script =
      "set -e\n"
      "cd '" +
      folder.string() +
      "'\n"
      "for ca in ca other_ca; do\n"
      "  '" +
      openssl +
      "' req -x509 -newkey rsa:2048 -nodes -keyout $ca.key -out $ca.crt "
      "-days 2 -subj /CN=ihd-test-$ca\n"
      "done\n"
      "sign() {\n"
      "  '" +
      openssl +
      "' req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj /CN=$1\n"
      "  '" +
      openssl +
      "' x509 -req -in $1.csr -CA $2.crt -CAkey $2.key -CAcreateserial "
      "-out $1.crt -days 2\n"
      "}\n"
      "sign node ca\nsign client ca\nsign stranger other_ca\n";
  const PeerRun made = run_peer({"/bin/sh", "-c", script}, folder / "openssl.log");
  CAPTURE(made.output);
  REQUIRE(made.exit_code == 0);
}

std::vector<std::string> echo(const fs::path& certificates, int port,
                              const std::vector<std::string>& tls) {
  std::vector<std::string> arguments = {IHD_ECHOSCU};
  arguments.insert(arguments.end(), tls.begin(), tls.end());
  for (const std::string& argument :
       {std::string("+cf"), (certificates / "ca.crt").string(), std::string("-aet"),
        std::string("ARCHIVE"), std::string("-aec"), std::string("IHD_SERVE"),
        std::string("127.0.0.1"), std::to_string(port)}) {
    arguments.push_back(argument);
  }
  return arguments;
}

std::vector<std::string> tls_flags(const fs::path& certificates, const std::string& mode) {
  return {"--allow-ae=ARCHIVE", "--tls=" + mode,
          "--tls-key=" + (certificates / "node.key").string(),
          "--tls-cert=" + (certificates / "node.crt").string(),
          "--tls-ca=" + (certificates / "ca.crt").string()};
}

}  // namespace

TEST_CASE("ihd_serve --tls required serves TLS peers with a certificate of its CA only") {
  const fs::path folder = scratch_dir("tls_required");
  const fs::path certificates = folder / "certificates";
  fs::create_directories(certificates);
  make_certificates(certificates);
  const std::vector<fs::path> files = synthetic_studies(folder / "synth", 1, 2);
  Node node(folder, free_port(), tls_flags(certificates, "required"));
  const std::vector<std::string> client = {"+tls", (certificates / "client.key").string(),
                                           (certificates / "client.crt").string()};

  std::vector<std::string> store = {IHD_STORESCU,
                                    "-v",
                                    "+tls",
                                    (certificates / "client.key").string(),
                                    (certificates / "client.crt").string(),
                                    "+cf",
                                    (certificates / "ca.crt").string(),
                                    "-aet",
                                    "ARCHIVE",
                                    "-aec",
                                    "IHD_SERVE",
                                    "127.0.0.1",
                                    std::to_string(node.port())};
  for (const fs::path& file : files) store.push_back(file.string());
  const PeerRun stored = run_peer(store, folder / "storescu.log");
  CAPTURE(stored.output);
  CHECK(stored.exit_code == 0);
  CHECK(count_of(stored.output, "Received Store Response (Success)") == 2);
  REQUIRE(status_reaches(node, "stored", 2));
  CHECK(spooled_instances(node.spool()).size() == 2);

  CHECK(run_peer(echo(certificates, node.port(), client), folder / "echo.log").exit_code == 0);
  const PeerRun plain = run_peer({IHD_ECHOSCU, "-aet", "ARCHIVE", "-aec", "IHD_SERVE", "127.0.0.1",
                                  std::to_string(node.port())},
                                 folder / "plain.log");
  CAPTURE(plain.output);
  CHECK(plain.exit_code != 0);
  CHECK(run_peer(echo(certificates, node.port(), {"+tla"}), folder / "anonymous.log").exit_code !=
        0);
  CHECK(run_peer(echo(certificates, node.port(),
                      {"+tls", (certificates / "stranger.key").string(),
                       (certificates / "stranger.crt").string()}),
                 folder / "stranger.log")
            .exit_code != 0);
  // After all the refusals the node still serves.
  CHECK(run_peer(echo(certificates, node.port(), client), folder / "again.log").exit_code == 0);
  REQUIRE(status_reaches(node, "echoes", 2));
  CHECK(status_value(node, "echoes") == 2);
  CHECK(node.kill(SIGTERM) == 0);
}

TEST_CASE("ihd_serve --tls optional also serves TLS peers without a certificate") {
  const fs::path folder = scratch_dir("tls_optional");
  const fs::path certificates = folder / "certificates";
  fs::create_directories(certificates);
  make_certificates(certificates);
  Node node(folder, free_port(), tls_flags(certificates, "optional"));
  CHECK(run_peer(echo(certificates, node.port(), {"+tla"}), folder / "anonymous.log").exit_code ==
        0);
  CHECK(run_peer(echo(certificates, node.port(),
                      {"+tls", (certificates / "client.key").string(),
                       (certificates / "client.crt").string()}),
                 folder / "client.log")
            .exit_code == 0);
  CHECK(run_peer(echo(certificates, node.port(),
                      {"+tls", (certificates / "stranger.key").string(),
                       (certificates / "stranger.crt").string()}),
                 folder / "stranger.log")
            .exit_code != 0);
  CHECK(run_peer({IHD_ECHOSCU, "-aet", "ARCHIVE", "-aec", "IHD_SERVE", "127.0.0.1",
                  std::to_string(node.port())},
                 folder / "plain.log")
            .exit_code != 0);
  CHECK(node.kill(SIGTERM) == 0);
}

}  // namespace ihd::serve_test
