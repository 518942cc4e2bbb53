#pragma once

// plateau-sim's virtual-time modes: `--replay=TRACE --virtual` replays a trace against the
// master's allocator (replay.h) and `--generate-trace=FILE` writes a synthetic trace
// (generator.h). See docs/sim.md, "Replay in virtual time".

namespace plateau::sim::replay {

// Whether argv asks for one of these modes (--replay or --generate-trace, in either spelling).
bool isReplayCommand(int argc, const char* const* argv);

// Runs the mode; returns the process's exit code (0, or 1 after printing the error to stderr).
int replayMain(int argc, const char* const* argv);

}  // namespace plateau::sim::replay
