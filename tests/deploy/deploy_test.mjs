// Checks deploy/k8s (and the Dockerfile) offline: renders the kustomize base and
// the homelab overlay with `kubectl kustomize`, validates every object against
// the Kubernetes and Prometheus Operator schemas, and asserts what issue 8's
// checks ask for, against the real binaries where it can.
//
//   node deploy_test.mjs --dataplane BIN [--controlplane BIN] [--config-tool BIN]
//
// tests/deploy/CMakeLists.txt passes the built binaries; the control plane and
// switchboard-config are optional (the checks that need them say they skipped
// or fell back). Needs kubectl and the npm packages of tests/deploy/install.sh;
// without them it fails and says why.

import './manifests_test.mjs';
import './config_test.mjs';
import './dashboard_test.mjs';
import './image_test.mjs';
