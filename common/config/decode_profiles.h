#pragma once
// Decoding of sections Switchboard adds to FireRouter's format: clientProfiles,
// cors, logging, clientKeys, retry. Internal to common/config (called by
// DecodeConfig and DecodeModelProvider).

#include "common/config/decode_util.h"

namespace switchboard::config::decode {

absl::Status DecodeClientProfile(const Json& value, const std::string& path,
                                 ::switchboard::config::v1::ClientProfile* out, SourceMap* map);
absl::Status DecodeCors(const Field& field, ::switchboard::config::v1::CorsSettings* out, SourceMap* map);
absl::Status DecodeLogging(const Field& field, ::switchboard::config::v1::LoggingSettings* out, SourceMap* map);
absl::Status DecodeClientKey(const Json& value, const std::string& path, ::switchboard::config::v1::ClientKey* out,
                             SourceMap* map);
absl::Status DecodeRetry(const Field& field, ::switchboard::config::v1::RetryPolicy* out, SourceMap* map);

}  // namespace switchboard::config::decode
