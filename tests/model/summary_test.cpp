// The layer table against torchvision: totals of parameters and multiply-adds (counted in PyTorch
// with forward hooks on every Conv2d and Linear of torchvision's models), output shapes, and
// agreement with the parameters of the model actually built.
#include "model/summary.h"

#include <doctest/doctest.h>

#include "common/error.h"
#include "model/resnet.h"

namespace ihd {
namespace {

struct Totals {
  int64_t parameters = 0, multiply_adds = 0;
};

Totals totals(const std::vector<SummaryRow>& rows) {
  Totals sum;
  for (const SummaryRow& row : rows) {
    sum.parameters += row.parameters;
    sum.multiply_adds += row.multiply_adds;
  }
  return sum;
}

const SummaryRow& row_named(const std::vector<SummaryRow>& rows, const std::string& name) {
  for (const SummaryRow& row : rows) {
    if (row.name == name) return row;
  }
  FAIL("no row named " << name);
  return rows.front();
}

TEST_CASE("resnet50 at 224: 25,557,032 parameters and 4.09 G multiply-adds, as torchvision") {
  for (SummaryDetail detail : {SummaryDetail::blocks, SummaryDetail::layers}) {
    const Totals sum = totals(resnet_summary_rows(resnet_config(50), 224, detail));
    CHECK(sum.parameters == 25'557'032);
    CHECK(sum.multiply_adds == 4'089'184'256);
  }
  const std::string text = resnet_summary(resnet_config(50), 224);
  CHECK(text.find("25,557,032 (25.56 M)") != std::string::npos);
  CHECK(text.find("4,089,184,256 (4.09 G)") != std::string::npos);
}

TEST_CASE("resnet50 at 180 and resnet18/101 at 224 match torchvision's multiply-adds") {
  CHECK(totals(resnet_summary_rows(resnet_config(50), 180)).multiply_adds == 2'864'171'776);
  CHECK(totals(resnet_summary_rows(resnet_config(18), 224)).multiply_adds == 1'814'073'344);
  CHECK(totals(resnet_summary_rows(resnet_config(18), 180)).multiply_adds == 1'256'643'328);
  CHECK(totals(resnet_summary_rows(resnet_config(101), 224)).multiply_adds == 7'801'405'440);
}

TEST_CASE("output shapes follow the strides: 180 -> 90 -> 45 -> 45 -> 23 -> 12 -> 6") {
  const auto rows = resnet_summary_rows(resnet_config(50), 180, SummaryDetail::layers);
  CHECK(row_named(rows, "conv1").height == 90);
  CHECK(row_named(rows, "maxpool").width == 45);
  CHECK(row_named(rows, "layer1.2.conv3").channels == 256);
  CHECK(row_named(rows, "layer2.0.conv2").height == 23);
  CHECK(row_named(rows, "layer2.0.downsample.0").height == 23);
  CHECK(row_named(rows, "layer3.5.bn3").height == 12);
  CHECK(row_named(rows, "layer4.2.bn3").height == 6);
  CHECK(row_named(rows, "layer4.2.bn3").channels == 2048);
  CHECK(row_named(rows, "fc").channels == 1000);
  const auto blocks = resnet_summary_rows(resnet_config(50), 180);
  CHECK(row_named(blocks, "layer2.0").kind == "Bottleneck 256->512 /2 +projection");
  CHECK(row_named(blocks, "layer2.1").kind == "Bottleneck 512->512 /1");
  CHECK(row_named(blocks, "layer4.2").height == 6);
}

TEST_CASE("the table's parameters are the built model's, whatever the options") {
  ResNetConfig config = resnet_config(50);
  config.input_channels = 1;
  config.num_outputs = 6;
  config.head_hidden_units = 512;
  config.width_multiplier = 0.25;
  CHECK(totals(resnet_summary_rows(config, 180)).parameters == ResNet(config).parameter_count());
  config = resnet_config(34);
  config.width_multiplier = 0.125;
  CHECK(totals(resnet_summary_rows(config, 64, SummaryDetail::layers)).parameters ==
        ResNet(config).parameter_count());
}

TEST_CASE("an image size below one pixel is refused") {
  CHECK_THROWS_AS(resnet_summary_rows(resnet_config(50), 0), Error);
  CHECK(row_named(resnet_summary_rows(resnet_config(50), 1), "layer4.2").height == 1);
}

}  // namespace
}  // namespace ihd
