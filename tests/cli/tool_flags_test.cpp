// Every tool's flag table, through the tool: --help exits 0 and lists its groups, typed
// placeholders, --no- forms and worked examples; an unknown flag gets the nearest known one; a
// number out of range is refused naming the flag and its range; --version names the version,
// commit, build, CUDA, cuDNN, oneDNN and the GPUs seen; --complete-flags prints the table. A bad
// command line exits 2 from every tool (the parse errors of the two data tools, which once had
// parsers of their own, each tool's own argument checks), a failure while running exits 1.
#include <doctest/doctest.h>

#include "cli_run.h"

namespace ihd::cli {
namespace {

struct ToolTable {
  std::string name;
  std::vector<std::string> groups;
  std::vector<std::string> help_lines;    // a flag with its placeholder, a switch's --[no-] form
  std::vector<std::string> unknown;       // a misspelt flag, then the suggestion
  std::vector<std::string> out_of_range;  // arguments, then the message
};

constexpr int kBadCommandLineExit = 2;

const std::vector<ToolTable> kTools = {
    {"ihd_train",
     {"data", "input limits", "model", "optimisation", "run", "evaluation", "sequence stage",
      "sweep"},
     {"--epochs N", "--lr LR", "--image-size PX", "--data PATH", "--[no-]balance",
      "--labels any|all", "--arch ARCH", "--resume DIR"},
     {"--epoch=3", "did you mean --epochs?"},
     {"--batch", "1", "--batch must be in [2, 65536], got 1"}},
    {"ihd_predict",
     {"model", "output", "run", "input limits"},
     {"--model RUN_DIR|FILE", "--batch N", "--out FILE", "--[no-]submission",
      "--max-image-side PX"},
     {"--gradcm", "did you mean --gradcam?"},
     {"--threshold", "2", "--threshold must be in [0, 1], got 2"}},
    {"ihd_eval",
     {"model and data", "evaluation", "output", "run"},
     {"--bootstrap N", "--target-sensitivity S", "--[no-]slice-only", "--split auto|train"},
     {"--boostrap", "did you mean --bootstrap?"},
     {"--target-sensitivity", "0", "--target-sensitivity must be in (0, 1], got 0"}},
    {"ihd_embed",
     {"model and data", "output", "run"},
     {"--model RUN_DIR|FILE", "--out DIR", "--batch N"},
     {"--modle", "did you mean --model?"},
     {"--batch", "0", "--batch must be in [1, 65536], got 0"}},
    {"ihd_prepare",
     {"mode", "images", "selection and split", "run", "input limits"},
     {"--png OUT_DIR", "--window C,W", "--windows A/B/C", "--size PX", "--[no-]balance",
      "--split patient|random"},
     {"--sise", "did you mean --size?"},
     {"--validation", "1", "--validation must be in [0, 1), got 1"}},
    {"ihd_synth",
     {"output", "set"},
     {"--out DIR", "--patients N", "--size PX", "--positive-probability P"},
     {"--patient", "did you mean --patients?"},
     {"--positive-probability", "2", "--positive-probability must be in [0, 1], got 2"}},
    {"ihd_serve",
     {"model", "network", "security", "limits", "studies and output"},
     {"--model RUN_DIR|FILE", "--port N", "--allow-ae AE[,AE...]|*", "--tls off|required|optional",
      "--send-to AE@HOST:PORT", "--[no-]slice-only", "--max-spool-mb MB"},
     {"--alow-ae", "did you mean --allow-ae?"},
     {"--max-pdu", "100", "--max-pdu must be in [4096, 131072], got 100"}},
};

}  // namespace

TEST_CASE("every tool's --help lists its groups, placeholders, --no- forms and examples") {
  const fs::path log = scratch_dir("tool_help") / "log.txt";
  for (const ToolTable& table : kTools) {
    CAPTURE(table.name);
    const ToolRun help = run_tool({tool(table.name), "--help"}, log);
    CAPTURE(help.output);
    CHECK(help.exit_code == 0);
    CHECK(help.output.rfind("usage: " + table.name + " ", 0) == 0);
    for (const std::string& group : table.groups)
      CHECK(contains(help.output, "\n" + group + ":\n"));
    for (const std::string& line : table.help_lines) CHECK(contains(help.output, "  " + line));
    CHECK(contains(help.output, "\nexamples:\n  " + table.name));
    CHECK_FALSE(contains(help.output, "VALUE"));
    CHECK_FALSE(contains(help.output, "--complete-flags"));
  }
}

TEST_CASE("every tool answers an unknown flag with the nearest known one") {
  const fs::path log = scratch_dir("tool_unknown") / "log.txt";
  for (const ToolTable& table : kTools) {
    CAPTURE(table.name);
    const ToolRun run = run_tool({tool(table.name), table.unknown[0]}, log);
    CAPTURE(run.output);
    CHECK(run.exit_code == kBadCommandLineExit);
    CHECK(contains(run.output, "unknown flag " +
                                   table.unknown[0].substr(0, table.unknown[0].find('=')) + "; " +
                                   table.unknown[1]));
    CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
  }
}

TEST_CASE("every tool refuses a number out of range naming the flag and its range") {
  const fs::path log = scratch_dir("tool_range") / "log.txt";
  for (const ToolTable& table : kTools) {
    CAPTURE(table.name);
    const ToolRun run =
        run_tool({tool(table.name), table.out_of_range[0], table.out_of_range[1]}, log);
    CAPTURE(run.output);
    CHECK(run.exit_code == kBadCommandLineExit);
    CHECK(contains(run.output, table.out_of_range[2]));
  }
}

TEST_CASE("every tool that runs a model refuses a device it cannot name, naming --device") {
  const fs::path log = scratch_dir("tool_device") / "log.txt";
  for (const char* name : {"ihd_train", "ihd_predict", "ihd_eval", "ihd_embed"}) {
    CAPTURE(name);
    const ToolRun run = run_tool({tool(name), "--device", "gpu"}, log);
    CAPTURE(run.output);
    CHECK(run.exit_code == kBadCommandLineExit);
    CHECK(contains(run.output, "--device 'gpu': expected cpu, cuda or cuda:N"));
  }
}

TEST_CASE("every tool's --version names the version, commit, build, libraries and GPUs") {
  const fs::path log = scratch_dir("tool_version") / "log.txt";
  for (const ToolTable& table : kTools) {
    CAPTURE(table.name);
    const ToolRun run = run_tool({tool(table.name), "--version"}, log);
    CAPTURE(run.output);
    CHECK(run.exit_code == 0);
    CHECK(run.output.rfind(table.name + " " + IHD_PROJECT_VERSION + "\n", 0) == 0);
    for (const char* field :
         {"\ncommit: ", "\nbuild: ", "\nCUDA: ", "\ncuDNN: ", "\noneDNN: ", "\nGPUs: "}) {
      CHECK(contains(run.output, field));
    }
    CHECK_FALSE(contains(run.output, "commit: \n"));
  }
}

TEST_CASE("every tool prints its flag table for the completion, switches with their --no- form") {
  const fs::path log = scratch_dir("tool_complete") / "log.txt";
  for (const ToolTable& table : kTools) {
    CAPTURE(table.name);
    const ToolRun run = run_tool({tool(table.name), "--complete-flags"}, log);
    CHECK(run.exit_code == 0);
    CHECK(contains(run.output, "--help\t\t\n--version\t\t\n"));
  }
  const ToolRun train = run_tool({tool("ihd_train"), "--complete-flags"}, log);
  CHECK(contains(train.output, "--epochs\tN\t\n"));
  CHECK(contains(train.output, "--balance\t\t\n--no-balance\t\t\n"));
  CHECK(contains(train.output, "--labels\tany|all\tany all\n"));
}

TEST_CASE("ihd_prepare and ihd_synth refuse a bad command line with the reason and exit 2") {
  const fs::path log = scratch_dir("data_tool_errors") / "log.txt";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{tool("ihd_prepare"), "--size", "abc"}, "ihd_prepare: --size: 'abc' is not a valid number"},
      {{tool("ihd_prepare"), "--png", "out"}, "ihd_prepare: no INPUT given"},
      {{tool("ihd_prepare"), "--rsna", "rsna"}, "ihd_prepare: --rsna needs --cache"},
      {{tool("ihd_prepare"), "--png", "a", "--rsna", "b"}, "give exactly one of --png"},
      {{tool("ihd_prepare"), "--rsna", "r", "--cache", "c", "--split", "diagonal"},
       "--split 'diagonal': expected one of patient, random"},
      {{tool("ihd_prepare"), "--rsna", "r", "--cache", "c", "--label", "bleed"},
       "--label 'bleed': expected one of epidural"},
      {{tool("ihd_prepare"), "--png", "out", "--window"}, "--window needs a value: C,W"},
      {{tool("ihd_prepare"), "--png", "out", "--window", "40", "scan.dcm"},
       "window '40': expected CENTER,WIDTH or a name"},
      {{tool("ihd_synth"), "--patients", "abc"},
       "ihd_synth: --patients: 'abc' is not a valid number"},
      {{tool("ihd_synth"), "--patients", "10"}, "ihd_synth: --out is required"},
      {{tool("ihd_synth"), "--out", "x", "--slices-per-patient", "0"},
       "--slices-per-patient must be in [1, 1000], got 0"},
      {{tool("ihd_synth"), "--out", "x", "--faint-end-probability", "-0.5"},
       "--faint-end-probability must be in [0, 1], got -0.5"},
      {{tool("ihd_synth"), "--out", "x", "--size", "8"}, "--size must be in [16, 4096], got 8"},
      {{tool("ihd_synth"), "--out", "x", "extra"}, "unexpected argument 'extra'"},
  };
  for (const auto& [arguments, message] : cases) {
    CAPTURE(message);
    const ToolRun run = run_tool(arguments, log);
    CAPTURE(run.output);
    CHECK(run.exit_code == 2);
    CHECK(contains(run.output, message));
  }
}

TEST_CASE("every tool exits 2 on its own argument checks, 1 on a failure while it runs") {
  const fs::path dir = scratch_dir("tool_exit_codes");
  const fs::path log = dir / "log.txt";
  const std::vector<std::pair<std::vector<std::string>, std::string>> usage = {
      {{tool("ihd_train"), "extra"}, "unexpected argument 'extra'"},
      {{tool("ihd_train"), "--epochs", "2", "--warmup-epochs", "2"},
       "--warmup-epochs must be below --epochs"},
      {{tool("ihd_predict"), "scan.dcm"}, "--model is required"},
      {{tool("ihd_predict"), "--model", "run"}, "no INPUT given"},
      {{tool("ihd_eval")}, "--model is required"},
      {{tool("ihd_embed"), "--model", "run"}, "--model and --out are required"},
  };
  for (const auto& [arguments, message] : usage) {
    CAPTURE(message);
    const ToolRun run = run_tool(arguments, log);
    CAPTURE(run.output);
    CHECK(run.exit_code == kBadCommandLineExit);
    CHECK(contains(run.output, message));
  }
  const fs::path missing = dir / "missing";
  const std::vector<std::vector<std::string>> failing = {
      {tool("ihd_predict"), "--model", missing.string(), "scan.dcm"},
      {tool("ihd_eval"), "--model", missing.string()},
      {tool("ihd_embed"), "--model", missing.string(), "--out", (dir / "features").string()},
      {tool("ihd_prepare"), "--png", (dir / "png").string(), missing.string()},
  };
  for (const auto& arguments : failing) {
    CAPTURE(arguments[0]);
    const ToolRun run = run_tool(arguments, log);
    CAPTURE(run.output);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.output, missing.string()));
  }
}

}  // namespace ihd::cli
