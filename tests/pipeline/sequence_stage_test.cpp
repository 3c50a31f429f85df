// The sequence stage's data path (apps/pipeline/sequence_data.h, embedding.h): series grouped and
// ordered from the cache's positions, chunks that cover every slice, a series' logits the same in
// any batch and dependent on its order, and the features folder on disk.
#include <doctest/doctest.h>

#include <cmath>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "apps/pipeline/embedding.h"
#include "apps/pipeline/sequence_data.h"
#include "common/error.h"
#include "common/random.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

// "<letter><i>", built without operator+ on a literal (GCC 12 warns wrongly about that).
std::string numbered(char letter, int i) {
  std::string name(1, letter);
  name += std::to_string(i);
  return name;
}

data::ImageRecord slice_record(const std::string& id, const std::string& series, double position,
                               data::Split split = data::Split::train) {
  data::ImageRecord record;
  record.id = id;
  record.study_id = series;  // one series per study and patient
  record.series_id = series;
  record.patient_id = series;
  record.position_mm = position;
  record.split = split;
  record.labels = {0, 0, 0, 0, 0, 0};
  return record;
}

// Embeddings of `records` with random features and logits (8 features, 6 outputs).
SliceEmbeddings random_embeddings(std::vector<data::ImageRecord> records, std::uint64_t seed) {
  SliceEmbeddings embeddings;
  embeddings.records = std::move(records);
  embeddings.label_names = {"epidural",     "intraparenchymal", "intraventricular",
                            "subarachnoid", "subdural",         "any"};
  embeddings.output_names = embeddings.label_names;
  embeddings.feature_count = 8;
  Random random(seed);
  for (size_t i = 0; i < embeddings.count(); ++i) {
    for (int f = 0; f < 8; ++f) embeddings.features.push_back(static_cast<float>(random.normal()));
    for (int k = 0; k < 6; ++k) embeddings.logits.push_back(static_cast<float>(random.normal()));
  }
  return embeddings;
}

SequenceModel small_model(SequenceKind kind) {
  SequenceModelConfig config;
  config.input_features = 8 + 6;
  config.projected_features = 16;
  config.hidden = 8;
  config.kind = kind;
  config.seed = 3;
  return SequenceModel(config);
}

}  // namespace

TEST_CASE("sequence stage: series grouped by study and series, in the cache's order") {
  const std::vector<data::ImageRecord> records = {
      slice_record("c", "A", 10), slice_record("x", "B", -5), slice_record("a", "A", -2.5),
      slice_record("b", "A", 4),  slice_record("y", "B", 7),  slice_record("b2", "A", 4)};
  const std::vector<SliceSeries> series = group_into_series(records);
  REQUIRE(series.size() == 2);
  CHECK(series[0].series_id == "A");
  CHECK(series[0].slices == std::vector<size_t>{2, 3, 5, 0});  // b, b2 tie: by ID
  CHECK(series[1].slices == std::vector<size_t>{1, 4});

  std::vector<data::ImageRecord> mixed = records;
  mixed[3].split = data::Split::validation;
  CHECK_THROWS_WITH_AS(group_into_series(mixed), doctest::Contains("splits must be by patient"),
                       Error);
}

TEST_CASE("sequence stage: chunks cover every slice, overlap by a quarter, end at the series end") {
  std::vector<data::ImageRecord> records;
  for (int i = 0; i < 50; ++i) records.push_back(slice_record(numbered('s', i), "L", i));
  for (int i = 0; i < 5; ++i) records.push_back(slice_record(numbered('t', i), "S", i));
  const std::vector<SliceSeries> series = group_into_series(records);
  const std::vector<SeriesChunk> chunks = chunk_series(series, {0, 1}, 16);
  std::vector<SeriesChunk> of_long;
  for (const SeriesChunk& chunk : chunks) {
    CHECK(chunk.length <= 16);
    if (chunk.series == 0) of_long.push_back(chunk);
  }
  // 50 slices in chunks of 16 stepping by 12: 0, 12, 24, then the last aligned to the end.
  REQUIRE(of_long.size() == 4);
  CHECK(of_long[0].begin == 0);
  CHECK(of_long[1].begin == 12);
  CHECK(of_long[2].begin == 24);
  CHECK(of_long[3].begin == 34);
  std::set<size_t> covered;
  for (const SeriesChunk& chunk : of_long) {
    for (size_t k = chunk.begin; k < chunk.begin + chunk.length; ++k) covered.insert(k);
  }
  CHECK(covered.size() == 50);
  CHECK(chunks.back().series == 1);
  CHECK(chunks.back().length == 5);
}

TEST_CASE("sequence stage: a series' logits are the same in any batch, chunked or not") {
  std::vector<data::ImageRecord> records;
  for (int i = 0; i < 30; ++i) records.push_back(slice_record(numbered('a', i), "A", i));
  for (int i = 0; i < 7; ++i) records.push_back(slice_record(numbered('b', i), "B", i));
  const SliceEmbeddings embeddings = random_embeddings(records, 11);
  const std::vector<SliceSeries> series = group_into_series(embeddings.records);
  const std::vector<float> base = slice_model_base_logits(embeddings, embeddings.label_names);
  for (SequenceKind kind : {SequenceKind::gru, SequenceKind::tcn}) {
    const SequenceModel model = small_model(kind);
    const auto together =
        sequence_logits(model, embeddings, series, {0, 1}, base, 64, 4, Device::cpu());
    const auto alone = sequence_logits(model, embeddings, series, {1}, base, 64, 1, Device::cpu());
    // Equal but for the GEMM's rounding where its blocking depends on the rows (OpenBLAS on Intel
    // AVX-512: about 1e-7; exactly 0 on AMD Zen 5).
    for (size_t slice : series[1].slices) {
      REQUIRE(together[slice].size() == alone[slice].size());
      for (size_t k = 0; k < alone[slice].size(); ++k) {
        CHECK(std::abs(double(together[slice][k]) - alone[slice][k]) <= 1e-6);
      }
    }
    // Chunks of 12 over the 30-slice series: every slice gets logits, averaged where chunks meet.
    const auto chunked =
        sequence_logits(model, embeddings, series, {0}, base, 12, 2, Device::cpu());
    for (size_t slice : series[0].slices) CHECK(chunked[slice].size() == 6);
  }
}

TEST_CASE("sequence stage: reversing a series' order changes its logits (the order is used)") {
  std::vector<data::ImageRecord> records;
  for (int i = 0; i < 12; ++i) records.push_back(slice_record(numbered('s', i), "A", i));
  SliceEmbeddings embeddings = random_embeddings(records, 5);
  const SequenceModel model = small_model(SequenceKind::gru);
  const auto in_order = sequence_logits(
      model, embeddings, group_into_series(embeddings.records), {0},
      slice_model_base_logits(embeddings, embeddings.label_names), 64, 1, Device::cpu());
  for (auto& record : embeddings.records) record.position_mm = -record.position_mm;
  const auto reversed = sequence_logits(
      model, embeddings, group_into_series(embeddings.records), {0},
      slice_model_base_logits(embeddings, embeddings.label_names), 64, 1, Device::cpu());
  size_t differing = 0;
  for (size_t slice = 0; slice < embeddings.count(); ++slice) {
    differing += in_order[slice] != reversed[slice];
  }
  CHECK(differing == embeddings.count());
}

TEST_CASE("sequence stage: embeddings round-trip through a features folder") {
  const fs::path dir =
      fs::temp_directory_path() / ("ihd_sequence_stage_test." + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::vector<data::ImageRecord> records = {
      slice_record("ID_a", "S\tTAB", 1.25),
      slice_record("ID_b", "S\tTAB", -3.5, data::Split::train)};
  records[1].labels = {0, 1, 0, 0, 0, 1};
  const SliceEmbeddings written = random_embeddings(records, 2);
  write_embeddings(dir / "features", written, {{"model", "a run"}});
  const SliceEmbeddings read = read_embeddings(dir / "features");
  REQUIRE(read.count() == 2);
  CHECK(read.features == written.features);
  CHECK(read.logits == written.logits);
  CHECK(read.label_names == written.label_names);
  CHECK(read.output_names == written.output_names);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(read.records[i].id == written.records[i].id);
    CHECK(read.records[i].series_id == written.records[i].series_id);
    CHECK(read.records[i].position_mm == written.records[i].position_mm);
    CHECK(read.records[i].labels == written.records[i].labels);
  }
  fs::create_directories(dir / "other");
  CHECK_THROWS_WITH_AS(read_embeddings(dir / "other"), doctest::Contains("not a features folder"),
                       Error);
  fs::remove_all(dir);
}

}  // namespace ihd::pipeline
