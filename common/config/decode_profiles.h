#pragma once
// Decoding of the client-facing sections: clientProfiles, cors, logging.
// Internal to common/config (called by DecodeConfig).

#include "common/config/decode_util.h"

namespace switchboard::config::decode {

absl::Status DecodeClientProfile(const Json& value, const std::string& path,
                                 ::switchboard::config::v1::ClientProfile* out, SourceMap* map);
absl::Status DecodeCors(const Field& field, ::switchboard::config::v1::CorsSettings* out, SourceMap* map);
absl::Status DecodeLogging(const Field& field, ::switchboard::config::v1::LoggingSettings* out, SourceMap* map);

}  // namespace switchboard::config::decode
