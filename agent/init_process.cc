#include "agent/init_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "agent/bounded_call.h"
#include "agent/console_log.h"
#include "agent/heartbeat.h"
#include "agent/test_switches.h"
#include "agent/watchdog.h"
#include "util/clock.h"
#include "util/fd.h"
#include "util/log.h"
#include "util/text.h"

namespace kdk::agent {

namespace {

// When the job shows no progress (no log line, no wait step, no byte read or
// written) for this long, PID 1 stops feeding the watchdog, which then resets
// the machine after its own timeout. Longer than any silent step of a
// healthy capture (a progress line comes every second while dumping).
constexpr int kStallSeconds = 60;
constexpr int kWatchdogTimeoutSeconds = 30;
constexpr int kFinishSeconds = 30;  // the final sync and unmount, at least
constexpr const char* kWatchdogPath = "/dev/watchdog";

// What PID 1 itself needs from the configuration; defaults when it cannot be read.
struct InitSettings {
  int deadline_s = config::Config{}.deadline_s;
  config::FinalAction final_action = config::FinalAction::kReboot;
  config::FinalAction failure_action = config::FinalAction::kReboot;
  int stall_s = kStallSeconds;
};

void mount_api_filesystems() {
  struct Mount {
    const char* source;
    const char* target;
    const char* type;
    unsigned long flags;
  };
  const Mount mounts[] = {
      {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC},
      {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC},
      {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID},
  };
  for (const auto& m : mounts) {
    ::mkdir(m.target, 0755);
    if (::mount(m.source, m.target, m.type, m.flags, nullptr) != 0 && errno != EBUSY) {
      log::warn("mount %s on %s: %s", m.type, m.target, std::strerror(errno));
    }
  }
}

// The kernel opens /dev/console for init when the initramfs has the node;
// if it did not, try again now that devtmpfs is mounted.
void ensure_console() {
  if (::fcntl(STDERR_FILENO, F_GETFD) != -1) return;
  int fd = ::open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int i = 0; i < 3; ++i) ::dup2(fd, i);
  if (fd > 2) ::close(fd);
}

void ignore_signals() {
  // PID 1 only receives signals it handles; ignoring these also protects
  // the job's children from a console hang-up.
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU}) {
    ::signal(sig, SIG_IGN);
  }
}

std::chrono::milliseconds monotonic_now() { return Clock::system().now(); }

InitSettings read_settings(const CapturePaths& paths) {
  InitSettings out;
  auto text = read_file(paths.config);
  if (!text) return out;
  auto cfg = config::parse_config(*text, paths.config);
  if (!cfg) return out;
  auto cmdline = read_file(paths.cmdline);
  if (cmdline) (void)config::apply_command_line_overrides(*cfg, *cmdline);
  out.deadline_s = cfg->deadline_s;
  out.final_action = cfg->final_action;
  out.failure_action = cfg->failure_action;
  if (cmdline) {
    if (auto stall = test_switch(*cmdline, "stall_s")) out.stall_s = std::max(1, std::atoi(stall->c_str()));
  }
  return out;
}

// Feeds the watchdog while the job progresses; opens it once its driver
// (loaded by the job) has made /dev/watchdog appear.
class WatchdogKeeper {
 public:
  WatchdogKeeper(pid_t job, int stall_s)
      : job_(job), monitor_(std::chrono::seconds(stall_s)), stall_s_(stall_s) {}

  void tick(std::chrono::milliseconds now) {
    if (!dog_ && now >= next_open_try_) {
      next_open_try_ = now + std::chrono::seconds(1);
      if (path_exists(kWatchdogPath)) {
        auto w = Watchdog::open(kWatchdogPath, kWatchdogTimeoutSeconds);
        if (w) {
          log::info("watchdog %s armed (%d s timeout); fed while the capture progresses", kWatchdogPath,
                    w->timeout_s());
          dog_ = std::move(*w);
        } else {
          log::warn("watchdog: %s", w.error().message.c_str());
          next_open_try_ = now + std::chrono::hours(24);
        }
      }
    }
    bool alive = monitor_.alive(now, heartbeat_count() + process_io_bytes(job_));
    if (alive) {
      if (dog_) dog_->feed();
      stalled_logged_ = false;
    } else if (!stalled_logged_) {
      stalled_logged_ = true;
      log::error("capture job made no progress for %d s%s", stall_s_,
                 dog_ ? "; no longer feeding the watchdog" : "");
    }
  }

  // A clean finish: the watchdog must not fire during the final action.
  void stop() {
    if (!dog_) return;
    if (auto s = dog_->stop(); !s)
      log::warn("%s", s.error().message.c_str());
    else
      log::info("watchdog stopped");
    dog_.reset();
  }

 private:
  pid_t job_;
  ProgressMonitor monitor_;
  int stall_s_;
  std::optional<Watchdog> dog_;
  std::chrono::milliseconds next_open_try_{0};
  bool stalled_logged_ = false;
};

struct JobResult {
  CaptureOutcome outcome;
  bool deadline_reached = false;
};

// Runs the job in a child; returns its outcome. Reaps every process while
// waiting, feeds the watchdog, and stops the job at the deadline.
JobResult run_job_in_child(const CapturePaths& paths, const InitSettings& settings,
                           std::optional<WatchdogKeeper>& keeper) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    return {CaptureOutcome{false, std::string("pipe: ") + std::strerror(errno)}};
  }
  pid_t child = ::fork();
  if (child < 0) {
    return {CaptureOutcome{false, std::string("fork: ") + std::strerror(errno)}};
  }
  if (child == 0) {
    ::close(pipefd[0]);
    for (int sig : {SIGINT, SIGTERM}) ::signal(sig, SIG_DFL);
    CaptureOutcome outcome = run_capture(paths);
    std::string msg = (outcome.ok ? "ok " : "failed ") + outcome.summary;
    (void)write_all(pipefd[1], msg.data(), msg.size(), "outcome pipe");
    ::_exit(outcome.ok ? 0 : 1);
  }
  ::close(pipefd[1]);
  UniqueFd reader(pipefd[0]);
  keeper.emplace(child, settings.stall_s);

  std::string message;
  bool child_done = false;
  int child_status = 0;
  const auto deadline = monotonic_now() + std::chrono::seconds(settings.deadline_s);
  while (!child_done) {
    // Reap whatever exited: our job, or orphans re-parented to us.
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == child) {
        child_done = true;
        child_status = status;
      }
    }
    if (child_done) break;
    auto now = monotonic_now();
    if (now >= deadline) {
      // No waiting for it: a job stuck in the kernel (D state) never dies.
      ::kill(child, SIGKILL);
      return {CaptureOutcome{false, "deadline of " + std::to_string(settings.deadline_s) +
                                        " s reached; capture stopped"},
              true};
    }
    keeper->tick(now);
    struct pollfd p {
      reader.get(), POLLIN, 0
    };
    if (reader.valid() && ::poll(&p, 1, 500) > 0) {
      char buf[4096];
      ssize_t n = ::read(reader.get(), buf, sizeof buf);
      if (n > 0) {
        message.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        reader.reset();
      }
    } else if (!reader.valid()) {
      struct timespec ts {
        0, 200 * 1000 * 1000
      };
      nanosleep(&ts, nullptr);
    }
  }
  if (reader.valid()) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(reader.get(), buf, sizeof buf)) > 0) message.append(buf, static_cast<size_t>(n));
  }
  if (message.rfind("ok ", 0) == 0) return {CaptureOutcome{true, message.substr(3)}};
  if (message.rfind("failed ", 0) == 0) return {CaptureOutcome{false, message.substr(7)}};
  if (WIFSIGNALED(child_status)) {
    return {CaptureOutcome{
        false, std::string("capture job killed by signal ") + std::to_string(WTERMSIG(child_status))}};
  }
  return {CaptureOutcome{false, "capture job ended without an outcome"}};
}

}  // namespace

void perform_final_action(config::FinalAction action, bool sync_first) {
  if (sync_first) ::sync();
  int how = RB_AUTOBOOT;
  if (action == config::FinalAction::kPoweroff) how = RB_POWER_OFF;
  if (action == config::FinalAction::kHalt) how = RB_HALT_SYSTEM;
  for (;;) {
    ::reboot(how);
    // Only reached when reboot(2) failed (not PID 1's namespace, no
    // privilege): say so and retry slowly rather than exit.
    log::error("reboot(%s) failed: %s", config::to_string(action), std::strerror(errno));
    ::sleep(10);
  }
}

bool in_capture_kernel() {
  if (!path_exists("/proc/self")) {
    ::mkdir("/proc", 0555);
    ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  }
  auto cmdline = read_file("/proc/cmdline");
  if (!cmdline || !path_exists("/proc/vmcore")) return false;
  for (const auto& word : split_words(*cmdline)) {
    if (word.rfind("elfcorehdr=", 0) == 0) return true;
  }
  return false;
}

void run_as_init(const CapturePaths& paths) {
  ignore_signals();
  mount_api_filesystems();
  ensure_console();
  log::enable_timestamps(true);
  keep_console_log();
  heartbeat_init();
  const auto started = monotonic_now();
  log::info("capture starting (pid %d)", static_cast<int>(::getpid()));
  const InitSettings settings = read_settings(paths);
  log::info("deadline %d s; then %s after a complete dump, %s otherwise", settings.deadline_s,
            config::to_string(settings.final_action), config::to_string(settings.failure_action));

  std::optional<WatchdogKeeper> keeper;
  JobResult job = run_job_in_child(paths, settings, keeper);
  const CaptureOutcome& outcome = job.outcome;
  config::FinalAction action = outcome.ok ? settings.final_action : settings.failure_action;
  if (job.deadline_reached) {
    // The job may be stuck in the kernel: sync and unmount could hang as it
    // does, so neither is tried, and the watchdog (no longer fed) stays armed
    // in case the final action hangs too. Everything committed is fsynced.
    log::error("capture failed: %s; %s", outcome.summary.c_str(), config::to_string(action));
    perform_final_action(action, false);
  }
  // A leftover mount would make the filesystem need a check after reboot.
  // Sync and unmount run under what is left of the deadline (at least
  // kFinishSeconds, everything committed is fsynced already), and the
  // watchdog is stopped only once they are done: a disk that hangs now
  // still cannot keep the machine from its final action.
  const auto left = started + std::chrono::seconds(settings.deadline_s) - monotonic_now();
  const auto limit = std::max<std::chrono::milliseconds>(std::chrono::seconds(kFinishSeconds), left);
  std::string mount_base = paths.mount_base;
  if (!run_bounded(
          [mount_base] {
            ::sync();
            ::umount2(mount_base.c_str(), MNT_DETACH);
          },
          limit)) {
    log::error("the final sync and unmount did not end within %lld s; %s with the watchdog armed",
               static_cast<long long>(limit.count() / 1000), config::to_string(action));
    perform_final_action(action, false);
  }
  if (keeper) keeper->stop();
  if (outcome.ok) {
    log::info("capture complete: %s; %s", outcome.summary.c_str(), config::to_string(action));
  } else {
    log::info("capture failed: %s; %s", outcome.summary.c_str(), config::to_string(action));
  }
  perform_final_action(action);
}

}  // namespace kdk::agent
