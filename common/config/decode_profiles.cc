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

absl::Status DecodeClientKey(const Json& value, const std::string& path, v1::ClientKey* out, SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(value, path));
  ObjectReader reader(value, path, map);
  ASSIGN_OR_RETURN(Field key, reader.Get("key"));
  RETURN_IF_ERROR(ReadString(key, out->mutable_key()));
  ASSIGN_OR_RETURN(Field env_var, reader.Get("envVar"));
  RETURN_IF_ERROR(ReadString(env_var, out->mutable_env_var()));
  ASSIGN_OR_RETURN(Field file, reader.Get("file"));
  RETURN_IF_ERROR(ReadString(file, out->mutable_file()));
  int sources = !out->key().empty() + !out->env_var().empty() + !out->file().empty();
  if (sources != 1) return PathError(path, "set exactly one of key, envVar, file");
  ASSIGN_OR_RETURN(Field rpm, reader.Get("requestsPerMinute"));
  if (rpm) {
    ASSIGN_OR_RETURN(double n, ReadNumber(*rpm.value, rpm.path));
    if (!(n > 0)) return PathError(rpm.path, "must be a positive number");
    out->set_requests_per_minute(n);
  }
  return reader.CheckNoUnknownKeys();
}

absl::Status DecodeRetry(const Field& field, v1::RetryPolicy* out, SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(*field.value, field.path));
  ObjectReader reader(*field.value, field.path, map);
  ASSIGN_OR_RETURN(Field attempts, reader.Get("attempts"));
  if (attempts) {
    ASSIGN_OR_RETURN(int64_t n, ReadInteger(*attempts.value, attempts.path, 1, 10));
    out->set_attempts(static_cast<uint32_t>(n));
  }
  ASSIGN_OR_RETURN(Field backoff, reader.Get("backoffMs"));
  if (backoff) {
    ASSIGN_OR_RETURN(double ms, ReadNumber(*backoff.value, backoff.path));
    if (ms < 0 || ms > 60'000) return PathError(backoff.path, "must be between 0 and 60000");
    out->set_backoff_ms(ms);
  }
  ASSIGN_OR_RETURN(Field max_backoff, reader.Get("maxBackoffMs"));
  if (max_backoff) {
    ASSIGN_OR_RETURN(double ms, ReadNumber(*max_backoff.value, max_backoff.path));
    if (ms < 0 || ms > 60'000) return PathError(max_backoff.path, "must be between 0 and 60000");
    out->set_max_backoff_ms(ms);
  }
  return reader.CheckNoUnknownKeys();
}

}  // namespace switchboard::config::decode
