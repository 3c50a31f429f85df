// Numbers as text, written once: the shortest decimal that reads back as the same double
// (std::to_chars' round trip), so a value written to a CSV, a manifest, config.json or a
// checkpoint's metadata comes back bit for bit. NaN and infinities are spelled "nan", "inf" and
// "-inf" (what std::from_chars and strtod read back).
#pragma once

#include <string>

namespace ihd {

std::string shortest_decimal(double value);

}  // namespace ihd
