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

#include <cerrno>
#include <cstring>
#include <string>

#include "util/fd.h"
#include "util/log.h"

namespace kdk::agent {

namespace {

// The whole capture must end by then, whatever hangs (a dead NFS server, a
// device that never answers). Generous: a 4 GiB guest takes ~70 s under TCG.
constexpr int kDeadlineSeconds = 3600;

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

long long monotonic_seconds() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

// Runs the job in a child; returns its outcome. Reaps every process while waiting.
CaptureOutcome run_job_in_child(const CapturePaths& paths) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    return CaptureOutcome{false, std::string("pipe: ") + std::strerror(errno)};
  }
  pid_t child = ::fork();
  if (child < 0) {
    return CaptureOutcome{false, std::string("fork: ") + std::strerror(errno)};
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

  std::string message;
  bool child_done = false;
  int child_status = 0;
  const long long deadline = monotonic_seconds() + kDeadlineSeconds;
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
    if (monotonic_seconds() >= deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
      return CaptureOutcome{false, "deadline of " + std::to_string(kDeadlineSeconds) +
                                       " s reached; capture stopped"};
    }
    struct pollfd p {reader.get(), POLLIN, 0};
    if (reader.valid() && ::poll(&p, 1, 500) > 0) {
      char buf[4096];
      ssize_t n = ::read(reader.get(), buf, sizeof buf);
      if (n > 0) {
        message.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        reader.reset();
      }
    } else if (!reader.valid()) {
      struct timespec ts {0, 200 * 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
  }
  if (reader.valid()) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(reader.get(), buf, sizeof buf)) > 0) message.append(buf, static_cast<size_t>(n));
  }
  if (message.rfind("ok ", 0) == 0) return CaptureOutcome{true, message.substr(3)};
  if (message.rfind("failed ", 0) == 0) return CaptureOutcome{false, message.substr(7)};
  if (WIFSIGNALED(child_status)) {
    return CaptureOutcome{false, std::string("capture job killed by signal ") +
                                     std::to_string(WTERMSIG(child_status))};
  }
  return CaptureOutcome{false, "capture job ended without an outcome"};
}

config::FinalAction configured_final_action(const CapturePaths& paths) {
  auto text = read_file(paths.config);
  if (!text) return config::FinalAction::kReboot;
  auto cfg = config::parse_config(*text, paths.config);
  if (!cfg) return config::FinalAction::kReboot;
  if (auto cmdline = read_file(paths.cmdline)) {
    (void)config::apply_command_line_overrides(*cfg, *cmdline);
  }
  return cfg->final_action;
}

}  // namespace

void perform_final_action(config::FinalAction action) {
  ::sync();
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

void run_as_init(const CapturePaths& paths) {
  ignore_signals();
  mount_api_filesystems();
  ensure_console();
  log::enable_timestamps(true);
  log::info("capture starting (pid %d)", static_cast<int>(::getpid()));

  CaptureOutcome outcome = run_job_in_child(paths);
  config::FinalAction action = configured_final_action(paths);
  // A leftover mount would make the filesystem need a check after reboot.
  ::sync();
  ::umount2(paths.mount_base.c_str(), MNT_DETACH);
  if (outcome.ok) {
    log::info("capture complete: %s; %s", outcome.summary.c_str(), config::to_string(action));
  } else {
    log::info("capture failed: %s; %s", outcome.summary.c_str(), config::to_string(action));
  }
  perform_final_action(action);
}

}  // namespace kdk::agent
