#pragma once
// The discovery service (discovery.proto): one bidirectional stream per data
// plane, gRPC callback API. One DiscoveryStream reactor per stream; it has at
// most one read and one write in flight, starts the next write from
// OnWriteDone, keeps only the newest unsent version, and deletes itself in
// OnDone after unregistering from the registry.
//
// Thread-safety: the service is stateless apart from references; reactors
// are driven by gRPC's callback threads and by registry pushes (any thread),
// and guard their state with their own mutex.

#include <grpcpp/grpcpp.h>

#include "controlplane/auth.h"
#include "controlplane/dataplane_registry.h"
#include "switchboard/controlplane/v1/discovery.grpc.pb.h"

namespace switchboard::controlplane {

class DiscoveryService final : public controlplane::v1::DiscoveryService::CallbackService {
 public:
  // `registry`, `token` and `counters` outlive the gRPC server.
  // `require_client_cert`: only peers with a verified TLS client certificate
  // may subscribe (--tls-client-ca).
  DiscoveryService(DataPlaneRegistry& registry, const Token& token, Counters& counters, bool require_client_cert)
      : registry_(registry), token_(token), counters_(counters), require_client_cert_(require_client_cert) {}

  grpc::ServerBidiReactor<controlplane::v1::DiscoveryRequest, controlplane::v1::DiscoveryResponse>* StreamConfig(
      grpc::CallbackServerContext* context) override;

 private:
  DataPlaneRegistry& registry_;
  const Token& token_;
  Counters& counters_;
  bool require_client_cert_;
};

// The checks every data-plane call passes: the data-plane token and, with
// require_client_cert, a verified client certificate.
grpc::Status CheckDataPlane(const grpc::ServerContextBase& context, const Token& token, bool require_client_cert);

}  // namespace switchboard::controlplane
