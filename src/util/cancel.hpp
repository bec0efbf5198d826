// util/cancel: a stop requested by SIGINT or SIGTERM.
//
// The handler only records the signal; long loops call throw_if_cancelled(), so the
// stop unwinds through destructors: uncommitted writers abort and remove their
// temporary files, and nothing half-written is left to look complete.
#pragma once

namespace lifeboat {

// Installs handlers for SIGINT and SIGTERM (and ignores SIGPIPE).
void install_signal_handlers();
// The signal received, or 0.
int cancel_signal();
// Throws Error{cancelled} when a stop was requested.
void throw_if_cancelled();

} // namespace lifeboat
