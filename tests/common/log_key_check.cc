// Compiled, not run, by two tests of tests/common/CMakeLists.txt: as it is, it
// must compile; with SWITCHBOARD_BAD_KEY set to a key that would need escaping
// in JSON, it must not (log::Key checks keys when compiled).

#include "common/log.h"

void WriteOneLine() {
#ifdef SWITCHBOARD_BAD_KEY
  switchboard::log::Line(switchboard::log::Level::kInfo, "check").Add(SWITCHBOARD_BAD_KEY, 1).Write();
#else
  switchboard::log::Line(switchboard::log::Level::kInfo, "check").Add("plain_key", 1).Write();
#endif
}
