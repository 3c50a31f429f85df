// ihd_progress_probe: a child process shaped like an ihd tool, for the progress tests. It
// line-buffers stdout as every tool's main() does, prints a start line, runs one task of 602245
// images in 100 steps on a fake clock (one second a step) with a loss and the rest of a run after
// it, then prints an error line on stderr and a summary line on stdout. `--quiet` silences the
// progress as the tools' --quiet does.
#include <cstdio>
#include <string>

#include "common/console.h"   // line_buffer_stdout
#include "common/progress.h"  // Progress, console_progress

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  const bool quiet = argc > 1 && std::string(argv[1]) == "--quiet";
  std::printf("start: one long task\n");
  double now = 0;
  ihd::ProgressOutput output = ihd::console_progress(quiet);
  output.clock = [&] { return now; };
  {
    ihd::Progress progress(output, "epoch 12/100", 602245, "img");
    progress.set_run_remainder(602245L * 88, 3600);
    for (long step = 1; step <= 100; ++step) {
      now += 1;
      progress.update(6022 * step, 0.5);
    }
    progress.finish(0.25);
  }
  std::fprintf(stderr, "error: one line on stderr\n");
  std::printf("summary: done\n");
  return 0;
}
