#pragma once

namespace kdk::loader {

// What a loaded kernel is for: the capture kernel a panic starts
// (KEXEC_ON_CRASH), or the next kernel of a fast reboot (`kdumpkit exec`).
enum class ImageKind { kCrash, kReboot };

}  // namespace kdk::loader
