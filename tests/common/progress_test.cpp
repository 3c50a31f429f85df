// Progress lines (common/progress.h): the layout (progress_line) at widths 0 to 130, fields
// dropped in the documented order; on a fake clock, the terminal line (never wider than the
// terminal less one column), the plain lines at each tenth or after 30 s, a resumed task's
// throughput, a silent output, counts from several threads, the work after the run (a sweep's
// later runs) in the run's ETA, the word wrap of the other lines (console.h); then
// ihd_progress_probe, a child shaped like a tool, drawing into a pseudo-terminal of 80 and of 50
// columns (every frame fits and is redrawn with '\r' on one line), writing plain lines into a
// pipe (in order with stderr: stdout is line-buffered), and --quiet.
#include "common/progress.h"

#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/console.h"
#include "common/terminal_child.h"

namespace ihd {
namespace {

// The last frame a terminal of `columns` columns shows of task "epoch 3/10" (2720 images, 45%
// done after 4 s, a loss, 7 more epochs after it).
std::string frame_at_width(int columns) {
  double now = 0;
  std::ostringstream out;
  ProgressOutput output{.out = &out, .terminal = true, .columns = columns};
  output.clock = [&] { return now; };
  Progress progress(output, "epoch 3/10", 2720, "img");
  progress.set_run_remainder(2720 * 7, 60);
  now = 4;
  progress.update(1224, 0.41234);
  return frames_of(out.str()).back();
}

// Runs ihd_progress_probe with `arguments` on a pseudo-terminal of `columns` columns.
ChildOutput run_probe_on_terminal(int columns, std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), IHD_PROGRESS_PROBE_BINARY);
  return run_on_terminal(columns, arguments);
}

// Runs ihd_progress_probe with `arguments`, stdout and stderr into one pipe.
ChildOutput run_probe_into_pipe(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), IHD_PROGRESS_PROBE_BINARY);
  return run_into_pipe(arguments);
}

}  // namespace

TEST_CASE("progress_line: a pure function of the fields and the width") {
  ProgressFields fields{.label = "scoring", .done = 250, .total = 1000, .unit = "files"};
  fields.items_per_second = 12.5;
  fields.eta_seconds = 60;
  fields.run_eta_seconds = 3600;
  fields.mean_loss = 0.5;
  const std::string full =
      "scoring [########......................]  25% 250/1000 files 12.5 files/s loss 0.5000 "
      "ETA 1:00 run ETA 1:00:00";
  CHECK(progress_line(fields, 120) == full);
  // Width 0: the plain lines, every field but the bar.
  CHECK(progress_line(fields, 0) ==
        "scoring  25% 250/1000 files 12.5 files/s loss 0.5000 ETA 1:00 run ETA 1:00:00");
  // 80: the bar goes first (even 10 cells would not fit), then nothing else need go.
  CHECK(progress_line(fields, 80) ==
        "scoring  25% 250/1000 files 12.5 files/s loss 0.5000 ETA 1:00 run ETA 1:00:00");
  CHECK(progress_line(fields, 76) ==
        "scoring  25% 250/1000 files loss 0.5000 ETA 1:00 run ETA 1:00:00");
  // 40: the throughput, the counts and the run's ETA are gone; the loss and the ETA stay.
  CHECK(progress_line(fields, 40) == "scoring  25% loss 0.5000 ETA 1:00");
  CHECK(progress_line(fields, 25) == "scoring  25% ETA 1:00");
  CHECK(progress_line(fields, 15) == "scoring  25%");
  CHECK(progress_line(fields, 8) == "sco  25%");
  for (int width = 1; width <= 130; ++width) {
    CAPTURE(width);
    CHECK(progress_line(fields, width).size() <= static_cast<size_t>(width));
  }

  // A finished task shows its duration; a field the caller gave no value is left out.
  ProgressFields done{.label = "writing 3 shards", .done = 3000, .total = 3000, .unit = "slices"};
  done.items_per_second = 1500;
  done.finished = true;
  done.elapsed_seconds = 2;
  CHECK(progress_line(done, 120) ==
        "writing 3 shards [##############################] 100% 3000/3000 slices 1500 slices/s in "
        "0:02");
  CHECK(progress_line(done, 40) == "writing 3 shards 100% in 0:02");
}

TEST_CASE("progress_line: data-parallel training's wait per step, the first field to go") {
  ProgressFields fields{.label = "epoch 2/5", .done = 64, .total = 256, .unit = "img"};
  fields.items_per_second = 20;
  fields.eta_seconds = 10;
  fields.mean_loss = 0.25;
  fields.communication_seconds_per_step = 0.0124;
  CHECK(progress_line(fields, 0) ==
        "epoch 2/5  25% 64/256 img 20.0 img/s loss 0.2500 comm 12 ms/step ETA 0:10");
  // It goes right after the bar, before the throughput.
  CHECK(progress_line(fields, 80) ==
        "epoch 2/5  25% 64/256 img 20.0 img/s loss 0.2500 comm 12 ms/step ETA 0:10");
  CHECK(progress_line(fields, 70) == "epoch 2/5  25% 64/256 img 20.0 img/s loss 0.2500 ETA 0:10");
}

TEST_CASE("progress: the terminal line at 120, 80 and 40 columns drops fields, never wraps") {
  // 1496 images left at 306 img/s: 0:05; then 7 epochs of 2720 images and 60 s: 2:07.
  CHECK(frame_at_width(120) ==
        "epoch 3/10 [##############................]  45% 1224/2720 img 306 img/s loss 0.4123 "
        "ETA 0:05 run ETA 2:07");
  // 100 columns: the bar narrows to 23 cells.
  CHECK(frame_at_width(100) ==
        "epoch 3/10 [##########.............]  45% 1224/2720 img 306 img/s loss 0.4123 ETA 0:05 "
        "run ETA 2:07");
  // 80 columns: even 10 cells do not fit, so the bar goes.
  CHECK(frame_at_width(80) ==
        "epoch 3/10  45% 1224/2720 img 306 img/s loss 0.4123 ETA 0:05 run ETA 2:07");
  // 40 columns: then the throughput, the counts and the run's ETA.
  CHECK(frame_at_width(40) == "epoch 3/10  45% loss 0.4123 ETA 0:05");
  CHECK(frame_at_width(30) == "epoch 3/10  45% ETA 0:05");
  // Narrower still: the label is cut short, the percentage stays.
  CHECK(frame_at_width(12) == "epoch   45%");
  for (int columns : {12, 20, 30, 40, 50, 60, 70, 80, 90, 100, 120}) {
    CAPTURE(columns);
    CHECK(frame_at_width(columns).size() <= static_cast<size_t>(columns - 1));
  }
}

TEST_CASE("progress: the work after the run (a sweep's later runs) joins the run's ETA") {
  // The run began 6 s before the task; the task's run ETA is 2:07 (as above), so the run lasts
  // 6 + 4 + 127 = 137 s; two more runs like it and 100 s measured: 127 + 274 + 100 = 501 s.
  set_work_after_run({.run_start_seconds = -6, .run_multiples = 2, .seconds = 100});
  const std::string frame = frame_at_width(120);
  set_work_after_run({});
  CHECK(frame ==
        "epoch 3/10 [##############................]  45% 1224/2720 img 306 img/s loss 0.4123 "
        "ETA 0:05 run ETA 8:21");
  CHECK(frame_at_width(120).ends_with(" run ETA 2:07"));
  // A task that shows no run ETA gets none from it.
  std::ostringstream out;
  double now = 0;
  ProgressOutput output{.out = &out, .terminal = true, .columns = 120};
  output.clock = [&] { return now; };
  set_work_after_run({.run_start_seconds = 0, .run_multiples = 2, .seconds = 100});
  {
    Progress progress(output, "scoring", 10, "files");
    now = 1;
    progress.update(5);
  }
  set_work_after_run({});
  CHECK(out.str().find("run ETA") == std::string::npos);
}

TEST_CASE("progress: a terminal task redraws one line, ends it once, with the items done") {
  double now = 0;
  std::ostringstream out;
  ProgressOutput output{.out = &out, .terminal = true, .columns = 120};
  output.clock = [&] { return now; };
  {
    Progress progress(output, "epoch 1/1", 100, "img");
    now = 1;
    progress.update(50, 0.3);
    now = 1.05;  // within a tenth of a second of the last frame: not drawn
    progress.update(51, 0.3);
    progress.finish(0.2);
    progress.finish(0.1);  // a second finish writes nothing
  }
  const std::string text = out.str();
  const std::vector<std::string> frames = frames_of(text);
  REQUIRE(frames.size() == 3);
  // The first frame, drawn at once; the second; the one within 0.1 s of it is not drawn.
  CHECK(frames[0] ==
        "epoch 1/1 [..............................]   0% 0/100 img -- img/s ETA --:--");
  CHECK(frames[1] ==
        "epoch 1/1 [###############...............]  50% 50/100 img 50.0 img/s loss 0.3000 "
        "ETA 0:01");
  CHECK(text.find("\repoch 1/1 [###############") != std::string::npos);
  // A task cut short (--max-steps) ends showing what was done, not 100%.
  const std::string final_frame = frames.back();
  CHECK(final_frame.rfind("epoch 1/1 [###############...............]  51% 51/100 img", 0) == 0);
  CHECK(final_frame.find("loss 0.2000 in 0:01") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(split_text(text, '\n').size() == 1);
}

TEST_CASE("progress: plain lines at each tenth, with throughput, loss and ETA, and at the end") {
  double now = 100;
  std::ostringstream out;
  ProgressOutput output{.out = &out};
  output.clock = [&] { return now; };
  Progress progress(output, "epoch 1/3", 1000, "img");
  for (int done = 50; done <= 1000; done += 50) {  // 50 images per second
    now += 1;
    progress.update(done, 0.5);
  }
  progress.finish(0.25);
  const std::vector<std::string> lines = split_text(out.str(), '\n');
  REQUIRE(lines.size() == 10);  // 10%..90% and the final line
  CHECK(lines[0] == "epoch 1/3  10% 100/1000 img 50.0 img/s loss 0.5000 ETA 0:18");
  CHECK(lines[8] == "epoch 1/3  90% 900/1000 img 50.0 img/s loss 0.5000 ETA 0:02");
  CHECK(lines[9] == "epoch 1/3 100% 1000/1000 img 50.0 img/s loss 0.2500 in 0:20");
  CHECK(out.str().find('\r') == std::string::npos);
}

TEST_CASE("progress: plain lines also after 30 s without one, the run's ETA, no loss, no field") {
  double now = 0;
  std::ostringstream out;
  ProgressOutput output{.out = &out};
  output.clock = [&] { return now; };
  Progress progress(output, "reading headers", 100000, "files");
  progress.set_run_remainder(100000, 10);
  for (int step = 1; step <= 70; ++step) {  // 10 files per second: 700 files, under a tenth
    now += 1;
    progress.update(step * 10);
  }
  const std::vector<std::string> lines = split_text(out.str(), '\n');
  REQUIRE(lines.size() == 2);  // at 30 s and at 60 s
  CHECK(lines[0] ==
        "reading headers   0% 300/100000 files 10.0 files/s ETA 2:46:10 run ETA 5:33:00");
  CHECK(lines[1].rfind("reading headers   0% 600/100000 files", 0) == 0);
  CHECK(out.str().find("loss") == std::string::npos);
}

TEST_CASE("progress: a resumed task's throughput counts only the items done since it resumed") {
  double now = 0;
  std::ostringstream out;
  ProgressOutput output{.out = &out};
  output.clock = [&] { return now; };
  Progress progress(output, "epoch 2/2", 100, "img", 50);
  now = 10;
  progress.update(60, 0.5);
  progress.finish(0.5);
  CHECK(out.str() ==
        "epoch 2/2  60% 60/100 img 1.0 img/s loss 0.5000 ETA 0:40\n"
        "epoch 2/2  60% 60/100 img 1.0 img/s loss 0.5000 in 0:10\n");

  // Every item done by an earlier process (shards reused): no throughput to show.
  std::ostringstream reused_out;
  ProgressOutput reused_output{.out = &reused_out};
  reused_output.clock = [&] { return now; };
  Progress reused(reused_output, "writing 2 shards", 2048, "slices", 2048);
  now = 11;
  reused.finish();
  CHECK(reused_out.str() == "writing 2 shards 100% 2048/2048 slices -- slices/s in 0:01\n");
}

TEST_CASE("progress: a silent output (--quiet) writes nothing, counts from many threads add up") {
  Progress silent(console_progress(true), "quiet", 10, "img");
  silent.add(5);
  silent.finish();
  CHECK(console_progress(true).out == nullptr);

  std::ostringstream out;
  ProgressOutput output{.out = &out};
  {
    Progress progress(output, "shards", 4000, "img");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) progress.add(1);
      });
    }
    for (std::thread& thread : threads) thread.join();
    progress.finish();
  }
  CHECK(split_text(out.str(), '\n').back().rfind("shards 100% 4000/4000 img", 0) == 0);
}

TEST_CASE("progress: a terminal task ended by an exception leaves its line ended") {
  std::ostringstream out;
  double now = 0;
  ProgressOutput output{.out = &out, .terminal = true, .columns = 80};
  output.clock = [&] { return now; };
  try {
    Progress progress(output, "scoring", 10, "files");
    now = 1;
    progress.add(3);
    throw std::runtime_error("unreadable");
  } catch (const std::runtime_error&) {
  }
  CHECK(out.str().back() == '\n');
  CHECK(split_text(out.str(), '\n').size() == 1);
}

TEST_CASE("console: wrap_words breaks a long line at spaces within 79 columns, indented") {
  const std::string line =
      "48 images scored, 0 skipped -> p.csv (thresholds epidural 0.5000, intraparenchymal 0.5000, "
      "intraventricular 0.5000, subarachnoid 0.5000, subdural 0.5000, any 0.5000)";
  CHECK(wrap_words(line, "  ") ==
        "48 images scored, 0 skipped -> p.csv (thresholds epidural 0.5000,\n"
        "  intraparenchymal 0.5000, intraventricular 0.5000, subarachnoid 0.5000,\n"
        "  subdural 0.5000, any 0.5000)");
  CHECK(wrap_words("short  enough", "  ") == "short enough");
  CHECK(wrap_words("a-word-longer-than-the-line then", "  ", 10) ==
        "a-word-longer-than-the-line\n  then");
  CHECK(wrap_words("", "  ").empty());
}

TEST_CASE("progress: durations") {
  CHECK(format_duration(59.6) == "1:00");
  CHECK(format_duration(3725) == "1:02:05");
  CHECK(format_duration(-1) == "--:--");
  CHECK(format_duration(NAN) == "--:--");
}

TEST_CASE("progress: a child on a pseudo-terminal of 80 or 50 columns redraws one line that fits") {
  for (const int columns : {80, 50}) {
    CAPTURE(columns);
    const ChildOutput child = run_probe_on_terminal(columns, {});
    REQUIRE(child.exit_code == 0);
    INFO("the terminal received:\n", child.text);
    // The terminal turns each "\n" into "\r\n"; every other '\r' is a redraw.
    const std::vector<std::string> lines = split_text(child.text, '\n');
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "start: one long task\r");
    CHECK(lines[2] == "error: one line on stderr\r");
    CHECK(lines[3] == "summary: done\r");
    // The first frame, one for each of the 100 steps (a second apart on the probe's clock), the
    // last: all redrawn in place, on one line, within the width less one column.
    CHECK(lines[1].rfind("\repoch 12/100 ", 0) == 0);
    const std::vector<std::string> frames = frames_of(lines[1]);
    CHECK(frames.size() == 102);
    for (const std::string& frame : frames) {
      CAPTURE(frame);
      CHECK(frame.size() <= static_cast<size_t>(columns - 1));
      CHECK(frame.rfind("epoch 12/100 ", 0) == 0);
    }
    CHECK(frames.back().find(" in 1:40") != std::string::npos);
    CHECK((frames.back().find("run ETA") != std::string::npos) == (columns == 80));
  }
}

TEST_CASE("progress: a child writing into a pipe prints plain lines, in order with stderr") {
  const ChildOutput child = run_probe_into_pipe({});
  REQUIRE(child.exit_code == 0);
  INFO("the pipe received:\n", child.text);
  CHECK(child.text.find('\r') == std::string::npos);
  CHECK(child.text.find("\x1b[") == std::string::npos);
  const std::vector<std::string> lines = split_text(child.text, '\n');
  REQUIRE(lines.size() == 13);  // start, 9 tenths, the final line, the error, the summary
  CHECK(lines[0] == "start: one long task");
  // At 11 s: 66242 images at 6022 img/s, 536003 left (1:29), then 88 epochs (8801 s) and 3600 s.
  CHECK(lines[1] ==
        "epoch 12/100  10% 66242/602245 img 6022 img/s loss 0.5000 ETA 1:29 run ETA 3:28:10");
  CHECK(lines[10].rfind("epoch 12/100  99% 602200/602245 img 6022 img/s loss 0.2500 in 1:40", 0) ==
        0);
  CHECK(lines[11] == "error: one line on stderr");
  CHECK(lines[12] == "summary: done");
}

TEST_CASE("progress: --quiet leaves the tool's own lines and its errors, and no progress") {
  const ChildOutput child = run_probe_into_pipe({"--quiet"});
  REQUIRE(child.exit_code == 0);
  CHECK(child.text == "start: one long task\nerror: one line on stderr\nsummary: done\n");
  const ChildOutput on_terminal = run_probe_on_terminal(80, {"--quiet"});
  CHECK(on_terminal.text ==
        "start: one long task\r\nerror: one line on stderr\r\nsummary: done\r\n");
}

}  // namespace ihd
