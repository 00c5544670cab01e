// The replicated auth commands: etcd's own request types, applied by the
// AuthStore in the kernel's apply loop. They travel in etcd's
// InternalRaftRequest fields (auth_enable, auth_user_add, authenticate, ...),
// so Cairn's log reads as etcd's. The kernel's AuthApplier has already
// checked the proposer (root for the admin requests) when these run.
#pragma once

#include "auth_store.h"
#include "cairn/registrar.h"

namespace cairn::auth {

// Declares the auth buckets and one apply handler per auth request type.
Status declareCommands(Registrar& registrar, AuthStore& store);

}  // namespace cairn::auth
