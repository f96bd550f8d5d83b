#include "common/config/decode_profiles.h"

#include <limits>

#include "common/status.h"

namespace switchboard::config::decode {

namespace v1 = ::switchboard::config::v1;

absl::Status DecodeClientProfile(const Json& value, const std::string& path, v1::ClientProfile* out,
                                 SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(value, path));
  ObjectReader reader(value, path, map);
  ASSIGN_OR_RETURN(Field prefix, reader.Get("path"));
  RETURN_IF_ERROR(ReadString(prefix, out->mutable_path()));
  ASSIGN_OR_RETURN(Field model, reader.Get("defaultModel"));
  RETURN_IF_ERROR(ReadString(model, out->mutable_default_model()));
  ASSIGN_OR_RETURN(Field prefill, reader.Get("prefill"));
  if (prefill) RETURN_IF_ERROR(ReadString(prefill, out->mutable_prefill()));
  ASSIGN_OR_RETURN(Field system_prefill, reader.Get("systemPrefill"));
  if (system_prefill) RETURN_IF_ERROR(ReadString(system_prefill, out->mutable_system_prefill()));
  ASSIGN_OR_RETURN(Field position, reader.Get("systemPrefillPosition"));
  if (position) {
    ASSIGN_OR_RETURN(int64_t p, ReadInteger(*position.value, position.path, std::numeric_limits<int32_t>::min(),
                                            std::numeric_limits<int32_t>::max()));
    out->set_system_prefill_position(p);
  }
  ASSIGN_OR_RETURN(Field models, reader.Get("models"));
  RETURN_IF_ERROR(ReadString(models, out->mutable_models()));
  ASSIGN_OR_RETURN(Field generic, reader.Get("genericModel"));
  if (generic) RETURN_IF_ERROR(ReadString(generic, out->mutable_generic_model()));
  return reader.CheckNoUnknownKeys();
}

absl::Status DecodeCors(const Field& field, v1::CorsSettings* out, SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(*field.value, field.path));
  ObjectReader reader(*field.value, field.path, map);
  ASSIGN_OR_RETURN(Field origins, reader.Get("allowedOrigins"));
  RETURN_IF_ERROR(ReadStringList(origins, out->mutable_allowed_origins()));
  return reader.CheckNoUnknownKeys();
}

absl::Status DecodeLogging(const Field& field, v1::LoggingSettings* out, SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(*field.value, field.path));
  ObjectReader reader(*field.value, field.path, map);
  ASSIGN_OR_RETURN(Field requests, reader.Get("requests"));
  if (requests) {
    ASSIGN_OR_RETURN(bool on, ReadBool(*requests.value, requests.path));
    out->set_requests(on);
  }
  return reader.CheckNoUnknownKeys();
}

}  // namespace switchboard::config::decode
