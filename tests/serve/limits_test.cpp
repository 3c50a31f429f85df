// The node's limits, through DCMTK's peers: an instance over --max-instance-mb and instances
// past --max-spool-mb are refused "out of resources" (0xA700) with the reason, the association
// going on; --max-pdu is the largest PDU the node announces (storescu's send PDV is 12 bytes
// less); with --max-associations 1, a second association while one is open is rejected, and
// accepted again once the first is released (its slot frees when its worker thread ends, just
// after the release: the test waits for that rather than assuming it immediate).
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/scu.h>
#include <doctest/doctest.h>

#include <memory>

#include "serve_test_util.h"

namespace ihd::serve_test {

TEST_CASE("ihd_serve refuses instances over --max-instance-mb or past --max-spool-mb") {
  const fs::path folder = scratch_dir("limits");
  // 1024 x 1024 x 2 bytes: 2 MiB an instance; 512 x 512: 0.5 MiB.
  const std::vector<fs::path> large = synthetic_studies(folder / "large", 1, 1, 1024);
  const std::vector<fs::path> medium = synthetic_studies(folder / "medium", 1, 3, 512);
  Node node(folder, free_port(), {"--allow-ae=ARCHIVE", "--max-instance-mb=1", "--max-spool-mb=1"});
  std::vector<std::string> arguments = storescu(node.port(), "ARCHIVE", {"-d"});
  arguments.push_back(large[0].string());
  for (const fs::path& file : medium) arguments.push_back(file.string());
  const PeerRun sent = run_peer(arguments, folder / "storescu.log");
  CAPTURE(sent.output);
  CHECK(count_of(sent.output, "Association Accepted") == 1);
  // The 2 MiB instance, then the second and third 0.5 MiB ones (the first fills half the spool).
  CHECK(count_of(sent.output, "0xa700: Refused: Out of resources") == 3);
  CHECK(count_of(sent.output, "0x0000: Success") == 1);
  CHECK(contains(sent.output, "LO [too_large: instance of 2097"));  // 2 MiB and the header
  CHECK(contains(sent.output, " bytes, over --max-instance-mb 1]"));
  CHECK(count_of(sent.output, "LO [spool_full: spool full (--max-spool-mb 1)]") == 2);
  REQUIRE(status_reaches(node, "refused.spool_full", 2));
  REQUIRE(status_reaches(node, "refused.too_large", 1));
  REQUIRE(status_reaches(node, "stored", 1));
  CHECK(status_value(node, "received") == 4);
  CHECK(status_value(node, "refused.too_large") == 1);
  CHECK(status_value(node, "refused.spool_full") == 2);
  CHECK(spooled_instances(node.spool()).size() == 1);
  CHECK(node.kill(SIGTERM) == 0);
}

TEST_CASE("ihd_serve announces --max-pdu and rejects associations past --max-associations") {
  const fs::path folder = scratch_dir("associations");
  Node node(folder, free_port(), {"--allow-ae=ARCHIVE", "--max-pdu=8192", "--max-associations=1"});
  const std::string port = std::to_string(node.port());
  const PeerRun echo =
      run_peer({IHD_ECHOSCU, "-v", "-aet", "ARCHIVE", "-aec", "IHD_SERVE", "127.0.0.1", port},
               folder / "echo.log");
  CAPTURE(echo.output);
  CHECK(echo.exit_code == 0);
  CHECK(contains(echo.output, "Association Accepted (Max Send PDV: 8180)"));

  // An association held open by DCMTK's own SCU while echoscu asks for a second one. The
  // node's pool frees the echo's slot when that association's worker thread ends, a moment
  // after echoscu has its release response, so the held one may be refused at first: retry.
  std::unique_ptr<DcmSCU> held;
  REQUIRE(eventually([&] {
    held = std::make_unique<DcmSCU>();
    held->setAETitle("ARCHIVE");
    held->setPeerAETitle("IHD_SERVE");
    held->setPeerHostName("127.0.0.1");
    held->setPeerPort(static_cast<Uint16>(node.port()));
    OFList<OFString> syntaxes;
    syntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
    return held->addPresentationContext(UID_VerificationSOPClass, syntaxes).good() &&
           held->initNetwork().good() && held->negotiateAssociation().good();
  }));
  const PeerRun second =
      run_peer({IHD_ECHOSCU, "-aet", "ARCHIVE", "-aec", "IHD_SERVE", "127.0.0.1", port},
               folder / "second.log");
  CAPTURE(second.output);
  CHECK(second.exit_code != 0);
  CHECK(contains(second.output, "Local Limit Exceeded"));
  CHECK(held->sendECHORequest(0).good());  // the first one is unaffected
  REQUIRE(held->releaseAssociation().good());
  CHECK(eventually([&] {
    return run_peer({IHD_ECHOSCU, "-aet", "ARCHIVE", "-aec", "IHD_SERVE", "127.0.0.1", port},
                    folder / "after.log")
               .exit_code == 0;
  }));
  CHECK(node.kill(SIGTERM) == 0);
}

}  // namespace ihd::serve_test
