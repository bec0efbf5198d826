// storage/decorators: the layers every remote backend is wrapped in, in one order
// (STYLE.md L4, docs/ARCHITECTURE.md "Storage decorators"):
//
//   outer hook( Retrying( Logging( Limited( inner hook( backend )))))
//
//   Limited   at most capabilities().max_connections calls in flight at once (a part,
//             a read, a listing each hold one while they run), so parallel parts and a
//             reader never open more connections than the service tolerates;
//   Logging   one debug line per call: operation, key, time taken, outcome ("-v");
//             every attempt, since it sits inside Retrying;
//   Retrying  storage/retry.hpp: the one place that retries.
// The hooks are for tests: a fault injected at the inner position is what the service
// would do (Retrying must see and retry it); one at the outer position sees what the
// command asked for (one call however many attempts it took).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "storage/retry.hpp"
#include "storage/storage.hpp"

namespace lifeboat::storage {

using Decorator = std::function<std::unique_ptr<Storage>(std::unique_ptr<Storage>)>;

struct DecoratorHooks {
  Decorator inner; // around the backend itself
  Decorator outer; // around the whole stack
};

// The stack above, around `backend`.
std::unique_ptr<Storage> decorate(std::unique_ptr<Storage> backend, RetryPolicy policy = {},
                                  const DecoratorHooks& hooks = {});

std::unique_ptr<Storage> make_logging(std::unique_ptr<Storage> inner);
// A decorator that runs every call to `inner` (and to the writers, part writers and
// readers it hands out) through `around(op, key, call)`: op is "list", "stat", "remove",
// "open", "open@OFFSET", "read", "open_write", "write", "commit", "part N", "complete",
// "space", "remove_abandoned_writes", "max_object_size" or "rename". For hooks: fault injection, counting.
using Around = std::function<void(std::string_view op, const std::string& key,
                                  const std::function<void()>& call)>;
std::unique_ptr<Storage> make_around(std::unique_ptr<Storage> inner, Around around);
std::unique_ptr<Storage> make_limited(std::unique_ptr<Storage> inner, int max_in_flight);

// The hooks open_storage passes to decorate() (tests only; none by default).
void set_decorator_hooks(DecoratorHooks hooks);
const DecoratorHooks& decorator_hooks();

} // namespace lifeboat::storage
